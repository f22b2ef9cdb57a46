#include "accuracy/accuracy_cache.h"

#include "util/sha256.h"
#include "util/sqlite_db.h"

#include <filesystem>
#include <stdexcept>

namespace bitloop
{

namespace
{
// Bump when the QAT engine changes what a stored answer would be: old rows then miss.
constexpr const char *kKeyVersion = "bitloop-accuracy-cache v1";
} // namespace

AccuracyKey accuracyKey(const std::string &context, const EvaluatorSettings &settings, const BitConfig &bits)
{
    AccuracyKey key;
    key.text = std::string(kKeyVersion) + "\n" + context + "\n" + settings.describe() +
               "\nbits: " + formatBitConfig(bits) + "\n";
    key.digest = sha256Hex(key.text);
    return key;
}

struct AccuracyCache::Db {
    SqliteDb sql;
    Statement select, insert, count;
};

AccuracyCache::AccuracyCache(const std::string &dir) : db_(std::make_unique<Db>())
{
    path_ = (std::filesystem::path(dir) / "accuracy.sqlite").string();
    db_->sql.open(path_, "the accuracy cache");
    db_->sql.exec("CREATE TABLE IF NOT EXISTS accuracy(key TEXT PRIMARY KEY, key_text TEXT, accuracy REAL, "
                  "images INT, seconds REAL, created TEXT)");
    db_->sql.prepare(db_->select, "SELECT key_text, accuracy, images, seconds FROM accuracy WHERE key = ?1");
    db_->sql.prepare(db_->insert,
                     "INSERT OR REPLACE INTO accuracy(key, key_text, accuracy, images, seconds, created) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
    db_->sql.prepare(db_->count, "SELECT COUNT(*) FROM accuracy");
}

AccuracyCache::~AccuracyCache() = default;

std::optional<AccuracyResult> AccuracyCache::lookup(const AccuracyKey &key)
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    Use u(db_->select);
    db_->sql.bindText(u.stmt, 1, key.digest);
    if (!db_->sql.nextRow(u.stmt, "cannot read the accuracy cache"))
        return std::nullopt;
    if (columnText(u.stmt, 0) != key.text) // a digest collision is not worth trusting the odds on
        return std::nullopt;
    AccuracyResult r;
    r.accuracy = sqlite3_column_double(u.stmt, 1);
    r.images = sqlite3_column_int64(u.stmt, 2);
    r.seconds = sqlite3_column_double(u.stmt, 3);
    r.cached = true;
    return r;
}

void AccuracyCache::store(const AccuracyKey &key, const AccuracyResult &result)
{
    if (result.cancelled)
        return;
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    db_->sql.transaction([&] {
        Use u(db_->insert);
        db_->sql.bindText(u.stmt, 1, key.digest);
        db_->sql.bindText(u.stmt, 2, key.text);
        sqlite3_bind_double(u.stmt, 3, result.accuracy);
        sqlite3_bind_int64(u.stmt, 4, result.images);
        sqlite3_bind_double(u.stmt, 5, result.seconds);
        if (sqlite3_step(u.stmt) != SQLITE_DONE)
            db_->sql.fail("cannot store an accuracy");
    });
}

int64_t AccuracyCache::entries() const
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    Use u(db_->count);
    if (sqlite3_step(u.stmt) != SQLITE_ROW)
        db_->sql.fail("cannot count the accuracy cache's entries");
    return sqlite3_column_int64(u.stmt, 0);
}

} // namespace bitloop
