#include "accuracy/accuracy_cache.h"

#include "util/sha256.h"
#include "util/sqlite_db.h"

#include "util/error.h"

#include <cmath>
#include <cstdio>
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

namespace
{

// The checksum of a row: its key text and its figures, doubles by their exact bits.
std::string rowChecksum(const std::string &keyText, double accuracy, int64_t images, double seconds)
{
    char figures[96];
    std::snprintf(figures, sizeof figures, "\n%a %lld %a", accuracy, static_cast<long long>(images), seconds);
    return sha256Hex(keyText + figures);
}

bool plausible(double accuracy, int64_t images, double seconds)
{
    return std::isfinite(accuracy) && accuracy >= 0 && accuracy <= 1 && images >= 0 &&
           std::isfinite(seconds) && seconds >= 0;
}

} // namespace

struct AccuracyCache::Db {
    SqliteDb sql;
    Statement select, insert, count, erase;
};

AccuracyCache::AccuracyCache(const std::string &dir, WarningFn onWarning) : warn_(std::move(onWarning))
{
    path_ = (std::filesystem::path(dir) / "accuracy.sqlite").string();
    try {
        db_ = std::make_unique<Db>();
        db_->sql.open(path_, "the accuracy cache");
        db_->sql.exec(
            "CREATE TABLE IF NOT EXISTS accuracy(key TEXT PRIMARY KEY, key_text TEXT, accuracy REAL, "
            "images INT, seconds REAL, created TEXT)");
        // Caches written before rows had checksums gain the column; their rows are checked on read.
        bool hasChecksum = false;
        {
            Statement info;
            db_->sql.prepare(info, "PRAGMA table_info(accuracy)");
            Use u(info);
            while (db_->sql.nextRow(u.stmt, "cannot read the accuracy cache's columns"))
                hasChecksum = hasChecksum || columnText(u.stmt, 1) == "checksum";
        }
        if (!hasChecksum)
            db_->sql.exec("ALTER TABLE accuracy ADD COLUMN checksum TEXT");
        db_->sql.prepare(db_->select,
                         "SELECT key_text, accuracy, images, seconds, checksum FROM accuracy WHERE key = ?1");
        db_->sql.prepare(db_->insert,
                         "INSERT OR REPLACE INTO accuracy(key, key_text, accuracy, images, seconds, "
                         "created, checksum) VALUES(?1, ?2, ?3, ?4, ?5, "
                         "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?6)");
        db_->sql.prepare(db_->count, "SELECT COUNT(*) FROM accuracy");
        db_->sql.prepare(db_->erase, "DELETE FROM accuracy WHERE key = ?1");
    } catch (const std::runtime_error &e) {
        db_.reset();
        disabled_ = true;
        warn("the accuracy cache cannot be used, running without it: " + std::string(e.what()));
    }
}

AccuracyCache::~AccuracyCache() = default;

void AccuracyCache::warn(const std::string &what) const
{
    if (warn_)
        warn_(what);
    else
        printWarning(what);
}

void AccuracyCache::disable(const std::string &why)
{
    if (disabled_.exchange(true))
        return;
    warn("the accuracy cache cannot be used, running without it: " + why);
}

std::optional<AccuracyResult> AccuracyCache::lookup(const AccuracyKey &key)
{
    if (!usable())
        return std::nullopt;
    std::optional<AccuracyResult> hit;
    std::string failure;
    bool damaged = false;
    {
        std::lock_guard<std::mutex> lock(db_->sql.mutex);
        try {
            std::string keyText, checksum;
            AccuracyResult r;
            bool nullChecksum = false, found = false, numeric = true;
            {
                Use u(db_->select);
                db_->sql.bindText(u.stmt, 1, key.digest);
                if (db_->sql.nextRow(u.stmt, "cannot read the accuracy cache")) {
                    found = true;
                    // Numbers stored as numbers: SQLite reads text such as 'abc' as 0
                    // (asked before the reads, which convert).
                    for (int col : {1, 2, 3}) {
                        const int type = sqlite3_column_type(u.stmt, col);
                        numeric = numeric && (type == SQLITE_INTEGER || type == SQLITE_FLOAT);
                    }
                    keyText = columnText(u.stmt, 0);
                    r.accuracy = sqlite3_column_double(u.stmt, 1);
                    r.images = sqlite3_column_int64(u.stmt, 2);
                    r.seconds = sqlite3_column_double(u.stmt, 3);
                    nullChecksum = sqlite3_column_type(u.stmt, 4) == SQLITE_NULL;
                    checksum = columnText(u.stmt, 4);
                }
            }
            // A digest collision is not worth trusting the odds on. Rows from before checksums have none:
            // they are kept when their figures are possible at all.
            if (found && keyText == key.text) {
                damaged =
                    !numeric || !plausible(r.accuracy, r.images, r.seconds) ||
                    (!nullChecksum && checksum != rowChecksum(keyText, r.accuracy, r.images, r.seconds));
                if (damaged) {
                    Use u(db_->erase);
                    db_->sql.bindText(u.stmt, 1, key.digest);
                    if (sqlite3_step(u.stmt) != SQLITE_DONE)
                        db_->sql.fail("cannot drop a damaged row");
                } else {
                    r.cached = true;
                    hit = r;
                }
            }
        } catch (const std::runtime_error &e) {
            failure = e.what();
        }
    }
    if (!failure.empty())
        disable(failure);
    else if (damaged) {
        const size_t at = key.text.find("bits: ");
        warn(path_ + ": a damaged row (its checksum or figures do not hold) was dropped and is recomputed: " +
             (at == std::string::npos ? key.digest : key.text.substr(at, key.text.find('\n', at) - at)));
    }
    return hit;
}

void AccuracyCache::store(const AccuracyKey &key, const AccuracyResult &result)
{
    if (result.cancelled || !usable())
        return;
    std::string failure;
    {
        std::lock_guard<std::mutex> lock(db_->sql.mutex);
        try {
            db_->sql.transaction([&] {
                Use u(db_->insert);
                db_->sql.bindText(u.stmt, 1, key.digest);
                db_->sql.bindText(u.stmt, 2, key.text);
                sqlite3_bind_double(u.stmt, 3, result.accuracy);
                sqlite3_bind_int64(u.stmt, 4, result.images);
                sqlite3_bind_double(u.stmt, 5, result.seconds);
                db_->sql.bindText(u.stmt, 6,
                                  rowChecksum(key.text, result.accuracy, result.images, result.seconds));
                if (sqlite3_step(u.stmt) != SQLITE_DONE)
                    db_->sql.fail("cannot store an accuracy");
            });
        } catch (const std::runtime_error &e) {
            failure = e.what();
        }
    }
    if (!failure.empty())
        disable(failure); // a full disk or a read-only file: the answer is still the caller's
}

int64_t AccuracyCache::entries() const
{
    if (!usable())
        return 0;
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    Use u(db_->count);
    if (sqlite3_step(u.stmt) != SQLITE_ROW)
        db_->sql.fail("cannot count the accuracy cache's entries");
    return sqlite3_column_int64(u.stmt, 0);
}

} // namespace bitloop
