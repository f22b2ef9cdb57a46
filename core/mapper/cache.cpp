#include "mapper/cache.h"

#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "io/yaml_util.h"
#include "util/sha256.h"

#include "util/sqlite_db.h"

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
    if (options.countValid) // the same answer, but the stored count of valid mappings is complete
        os << "count valid: true\n";
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

struct MapperCache::Db {
    SqliteDb sql;
    std::mutex &mutex = sql.mutex;
    Statement select, insert, remove, count;

    // Only the row as it was read: another process may have replaced it with a sound one meanwhile.
    void removeRow(const std::string &digest, const std::string &mappingYaml)
    {
        Use u(remove);
        sql.bindText(u.stmt, 1, digest);
        sql.bindText(u.stmt, 2, mappingYaml);
        if (sqlite3_step(u.stmt) != SQLITE_DONE)
            sql.fail("cannot delete a cache entry");
    }
};

MapperCache::MapperCache(const std::string &dir) : db_(std::make_unique<Db>())
{
    path_ = (fs::path(dir) / "mapper.sqlite").string();
    db_->sql.open(path_, "the mapper cache");
    db_->sql.exec(
        "CREATE TABLE IF NOT EXISTS results(key TEXT PRIMARY KEY, key_text TEXT, found INT, "
        "mapping_yaml TEXT, valid INT, visited INT, seconds REAL, optimal INT, strategy TEXT, space REAL, "
        "note TEXT, created TEXT)");
    db_->sql.prepare(db_->select,
                     "SELECT key_text, found, mapping_yaml, valid, visited, seconds, optimal, strategy, "
                     "space, note FROM results WHERE key = ?1");
    db_->sql.prepare(db_->insert,
                     "INSERT OR REPLACE INTO results(key, key_text, found, mapping_yaml, valid, visited, "
                     "seconds, optimal, strategy, space, note, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                     "?7, ?8, ?9, ?10, ?11, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
    db_->sql.prepare(db_->remove, "DELETE FROM results WHERE key = ?1 AND coalesce(mapping_yaml, '') = ?2");
    db_->sql.prepare(db_->count, "SELECT COUNT(*) FROM results");
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
        db_->sql.bindText(u.stmt, 1, key.digest);
        if (!db_->sql.nextRow(u.stmt, "cannot read the mapper cache"))
            return std::nullopt;
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
    db_->sql.transaction([&] {
        Use u(db_->insert);
        sqlite3_stmt *s = u.stmt;
        db_->sql.bindText(s, 1, key.digest);
        db_->sql.bindText(s, 2, key.text);
        sqlite3_bind_int(s, 3, result.found ? 1 : 0);
        db_->sql.bindText(s, 4, mappingYaml);
        sqlite3_bind_int64(s, 5, result.validMappings);
        sqlite3_bind_int64(s, 6, result.visited);
        sqlite3_bind_double(s, 7, result.seconds);
        sqlite3_bind_int(s, 8, result.optimal ? 1 : 0);
        db_->sql.bindText(s, 9, strategyName(result.strategy));
        sqlite3_bind_double(s, 10, result.spaceSize);
        db_->sql.bindText(s, 11, result.note);
        if (sqlite3_step(s) != SQLITE_DONE)
            db_->sql.fail("cannot store a mapper result");
    });
}

int64_t MapperCache::entries() const
{
    std::lock_guard<std::mutex> lock(db_->mutex);
    Use u(db_->count);
    if (sqlite3_step(u.stmt) != SQLITE_ROW)
        db_->sql.fail("cannot count the mapper cache's entries");
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
