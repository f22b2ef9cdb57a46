#include "mapper/cache.h"

#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "io/yaml_util.h"
#include "util/sha256.h"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace bitloop
{

namespace fs = std::filesystem;

namespace
{

// Bump when the cost model or the search changes what a stored answer would be: old rows then miss.
constexpr const char *kKeyVersion = "bitloop-mapper-cache v1";

std::string envOr(const char *name)
{
    const char *v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

const char *firstPsumName(FirstPsumRule r)
{
    return r == FirstPsumRule::Elide ? "elide" : "fork_fill";
}

bool strategyFromName(const std::string &name, Strategy &out)
{
    for (Strategy s : {Strategy::Auto, Strategy::Exhaustive, Strategy::Sampled})
        if (name == strategyName(s)) {
            out = s;
            return true;
        }
    return false;
}

// One prepared statement; reset (bindings cleared) by Use when a use of it ends, so a statement never holds a
// read transaction open between calls.
class Statement
{
public:
    Statement() = default;
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    sqlite3_stmt *&handle() { return stmt_; }
    sqlite3_stmt *get() const { return stmt_; }

private:
    sqlite3_stmt *stmt_ = nullptr;
};

struct Use {
    explicit Use(const Statement &s) : stmt(s.get()) {}
    ~Use()
    {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    Use(const Use &) = delete;
    Use &operator=(const Use &) = delete;
    sqlite3_stmt *stmt;
};

std::string columnText(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? std::string(reinterpret_cast<const char *>(t), size_t(sqlite3_column_bytes(s, col)))
             : std::string();
}

} // namespace

std::string defaultCacheDir()
{
    fs::path dir;
    const std::string own = envOr("BITLOOP_CACHE_DIR"), xdg = envOr("XDG_CACHE_HOME"), home = envOr("HOME");
    if (!own.empty())
        dir = own;
    else if (!xdg.empty() && fs::path(xdg).is_absolute()) // the XDG spec says to ignore a relative one
        dir = fs::path(xdg) / "bitloop";
    else if (!home.empty())
        dir = fs::path(home) / ".cache" / "bitloop";
    else
        dir = fs::temp_directory_path() / "bitloop-cache";
    std::error_code ec;
    fs::create_directories(dir, ec); // a failure is reported, with its reason, when the cache is opened
    return dir.string();
}

MapperKey mapperKey(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                    const MapperOptions &options)
{
    // The name only labels the machine: a renamed copy of an architecture asks the same question.
    Architecture content = arch;
    content.name.clear();
    content.source.clear();

    std::ostringstream os;
    os << kKeyVersion << "\n" << architectureToYaml(content) << "shape:";
    for (Dim d : kAllDims)
        os << " " << dimLetter(d) << "=" << shape.bound(d);
    // Padding only changes the nominal input size; the loops touch the same halo either way.
    os << "\nstrides: w=" << shape.wstride << " h=" << shape.hstride << "\ndilations: w=" << shape.wdilation
       << " h=" << shape.hdilation << "\n";
    // Every word count depends on bit-widths only through the packing factors (0 = does not fit a word).
    for (int li = 0; li < arch.numLevels(); ++li) {
        os << "packing level " << li << ":";
        for (Tensor t : kAllTensors)
            os << " " << tensorName(t) << "=" << packingFactor(arch.levels[li].wordBits, bits.of(t));
        os << "\n";
    }
    if (arch.mac.scaleWithBits || options.model.scaleMacEnergy)
        os << "mac bits: weights=" << bits.of(Tensor::Weights) << " inputs=" << bits.of(Tensor::Inputs)
           << "\n";
    os << "metric: " << metricName(options.metric) << "\n"
       << "strategy: " << strategyName(options.strategy) << "\n";
    if (options.strategy == Strategy::Auto)
        os << "exhaustive limit: " << yamlutil::formatDouble(options.exhaustiveLimit) << "\n";
    if (options.strategy != Strategy::Exhaustive)
        os << "sample budget: " << options.sampleBudget << "\nseed: " << options.seed << "\n";
    os << "first psum: " << firstPsumName(options.model.firstPsum) << "\n"
       << "scale mac energy: " << (options.model.scaleMacEnergy ? "true" : "false") << "\n"
       << "check search constraints: " << (options.model.checkSearchConstraints ? "true" : "false") << "\n"
       << "search constraints: " << (options.space.searchConstraints ? "true" : "false") << "\n";

    MapperKey key;
    key.text = os.str();
    key.digest = sha256Hex(key.text);
    return key;
}

// Closes the database after the statements declared below it are finalized (members die in reverse order).
struct Connection {
    sqlite3 *db = nullptr;
    Connection() = default;
    ~Connection() { sqlite3_close(db); }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;
};

struct MapperCache::Db {
    Connection connection;
    sqlite3 *&db = connection.db;
    std::string path;
    // One connection serves one statement at a time; the lock lets threads share a MapperCache.
    std::mutex mutex;
    Statement select, insert, remove, count, begin, commit, rollback;

    [[noreturn]] void fail(const std::string &what) const
    {
        throw std::runtime_error(path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    }
    void exec(const char *sql)
    {
        if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
            fail(std::string("cannot run '") + sql + "'");
    }
    void prepare(Statement &s, const char *sql)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &s.handle(), nullptr) != SQLITE_OK)
            fail(std::string("cannot prepare '") + sql + "'");
    }
    void step(const Statement &s, const char *what)
    {
        if (sqlite3_step(s.get()) != SQLITE_DONE)
            fail(what);
        sqlite3_reset(s.get());
    }
    void bindText(sqlite3_stmt *s, int i, const std::string &v)
    {
        if (sqlite3_bind_text(s, i, v.data(), int(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
            fail("cannot bind a value");
    }
    // Only the row as it was read: another process may have replaced it with a sound one meanwhile.
    void removeRow(const std::string &digest, const std::string &mappingYaml)
    {
        Use u(remove);
        bindText(u.stmt, 1, digest);
        bindText(u.stmt, 2, mappingYaml);
        if (sqlite3_step(u.stmt) != SQLITE_DONE)
            fail("cannot delete a cache entry");
    }
};

MapperCache::MapperCache(const std::string &dir) : db_(std::make_unique<Db>())
{
    path_ = (fs::path(dir) / "mapper.sqlite").string();
    db_->path = path_;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error(path_ + ": cannot create the cache directory " + dir + ": " + ec.message());
    if (sqlite3_open_v2(path_.c_str(), &db_->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
        db_->fail("cannot open the mapper cache");
    // Before anything that takes a lock: another process may be writing.
    sqlite3_busy_timeout(db_->db, 10000);
    // Readers never block the writer and a crash never leaves a half-written entry.
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec(
        "CREATE TABLE IF NOT EXISTS results(key TEXT PRIMARY KEY, key_text TEXT, found INT, "
        "mapping_yaml TEXT, valid INT, visited INT, seconds REAL, optimal INT, strategy TEXT, space REAL, "
        "note TEXT, created TEXT)");
    db_->prepare(db_->select,
                 "SELECT key_text, found, mapping_yaml, valid, visited, seconds, optimal, strategy, "
                 "space, note FROM results WHERE key = ?1");
    db_->prepare(db_->insert,
                 "INSERT OR REPLACE INTO results(key, key_text, found, mapping_yaml, valid, visited, "
                 "seconds, optimal, strategy, space, note, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                 "?7, ?8, ?9, ?10, ?11, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
    db_->prepare(db_->remove, "DELETE FROM results WHERE key = ?1 AND coalesce(mapping_yaml, '') = ?2");
    db_->prepare(db_->count, "SELECT COUNT(*) FROM results");
    // IMMEDIATE takes the write lock up front, where the busy timeout applies; a deferred transaction that
    // upgrades would fail at once when another connection writes.
    db_->prepare(db_->begin, "BEGIN IMMEDIATE");
    db_->prepare(db_->commit, "COMMIT");
    db_->prepare(db_->rollback, "ROLLBACK");
}

MapperCache::~MapperCache() = default;

std::optional<MapperResult> MapperCache::lookup(const ProblemShape &shape, const Architecture &arch,
                                                const BitWidths &bits, const MapperOptions &options)
{
    const MapperKey key = mapperKey(shape, arch, bits, options);
    MapperResult result;
    std::string keyText, mappingYaml, strategy;
    {
        std::lock_guard<std::mutex> lock(db_->mutex);
        Use u(db_->select);
        db_->bindText(u.stmt, 1, key.digest);
        const int rc = sqlite3_step(u.stmt);
        if (rc == SQLITE_DONE)
            return std::nullopt;
        if (rc != SQLITE_ROW)
            db_->fail("cannot read the mapper cache");
        keyText = columnText(u.stmt, 0);
        result.found = sqlite3_column_int(u.stmt, 1) != 0;
        mappingYaml = columnText(u.stmt, 2);
        result.validMappings = sqlite3_column_int64(u.stmt, 3);
        result.visited = sqlite3_column_int64(u.stmt, 4);
        result.seconds = sqlite3_column_double(u.stmt, 5);
        result.optimal = sqlite3_column_int(u.stmt, 6) != 0;
        strategy = columnText(u.stmt, 7);
        result.spaceSize = sqlite3_column_double(u.stmt, 8);
        result.note = columnText(u.stmt, 9);
    }
    // A digest collision is not worth trusting the odds on when the text is at hand.
    if (keyText != key.text)
        return std::nullopt;

    bool usable = strategyFromName(strategy, result.strategy);
    if (usable && result.found) {
        try {
            result.mapping = parseBitloopMapping(YAML::Load(mappingYaml), path_, arch);
            result.evaluation = evaluate(shape, arch, result.mapping, bits, options.model);
            usable = result.evaluation.valid;
        } catch (const std::exception &) {
            usable = false;
        }
    }
    if (!usable) {
        // A damaged row: forget it, so the search runs again and stores a sound one.
        std::lock_guard<std::mutex> lock(db_->mutex);
        db_->removeRow(key.digest, mappingYaml);
        return std::nullopt;
    }
    if (options.progress)
        options.progress(1.0);
    return result;
}

void MapperCache::store(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                        const MapperOptions &options, const MapperResult &result)
{
    if (result.cancelled) // a partial walk is no answer to the question
        return;
    const MapperKey key = mapperKey(shape, arch, bits, options);
    const std::string mappingYaml = result.found ? mappingToYaml(arch, result.mapping) : std::string();

    std::lock_guard<std::mutex> lock(db_->mutex);
    db_->step(db_->begin, "cannot begin a transaction");
    try {
        Use u(db_->insert);
        sqlite3_stmt *s = u.stmt;
        db_->bindText(s, 1, key.digest);
        db_->bindText(s, 2, key.text);
        sqlite3_bind_int(s, 3, result.found ? 1 : 0);
        db_->bindText(s, 4, mappingYaml);
        sqlite3_bind_int64(s, 5, result.validMappings);
        sqlite3_bind_int64(s, 6, result.visited);
        sqlite3_bind_double(s, 7, result.seconds);
        sqlite3_bind_int(s, 8, result.optimal ? 1 : 0);
        db_->bindText(s, 9, strategyName(result.strategy));
        sqlite3_bind_double(s, 10, result.spaceSize);
        db_->bindText(s, 11, result.note);
        if (sqlite3_step(s) != SQLITE_DONE)
            db_->fail("cannot store a mapper result");
        db_->step(db_->commit, "cannot commit a mapper result");
    } catch (...) {
        sqlite3_step(db_->rollback.get());
        sqlite3_reset(db_->rollback.get());
        throw;
    }
}

int64_t MapperCache::entries() const
{
    std::lock_guard<std::mutex> lock(db_->mutex);
    Use u(db_->count);
    if (sqlite3_step(u.stmt) != SQLITE_ROW)
        db_->fail("cannot count the mapper cache's entries");
    return sqlite3_column_int64(u.stmt, 0);
}

MapperResult findBestMappingCached(MapperCache *cache, const ProblemShape &shape, const Architecture &arch,
                                   const BitWidths &bits, const MapperOptions &options, bool *cached)
{
    if (cached)
        *cached = false;
    if (!cache)
        return findBestMapping(shape, arch, bits, options);
    if (std::optional<MapperResult> hit = cache->lookup(shape, arch, bits, options)) {
        if (cached)
            *cached = true;
        return std::move(*hit);
    }
    MapperResult result = findBestMapping(shape, arch, bits, options);
    if (!result.cancelled)
        cache->store(shape, arch, bits, options, result);
    return result;
}

} // namespace bitloop
