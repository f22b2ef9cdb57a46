#include "mapper/cache.h"

#include "io/arch_io.h"
#include "io/yaml_util.h"
#include "util/error.h"
#include "util/sha256.h"

#include "util/sqlite_db.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace bitloop
{

namespace fs = std::filesystem;

namespace
{

// Bump when the cost model or the search changes what a stored answer would be: old rows then miss.
// v2: rows hold the mapping in a compact form with its energy and cycles (a hit no longer parses YAML).
constexpr const char *kKeyVersion = "bitloop-mapper-cache v2";

std::string envOr(const char *name)
{
    const char *v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

const char *firstPsumName(FirstPsumRule r)
{
    return r == FirstPsumRule::Elide ? "elide" : "fork_fill";
}

// What a row states, as text (doubles by their exact bits): its checksum is the SHA-256 of this.
std::string rowText(const std::string &keyText, bool found, const std::string &mapping, double energy,
                    int64_t cycles, const MapperResult &r, const std::string &strategy)
{
    char figures[256];
    std::snprintf(figures, sizeof figures, "\n%d %a %lld %lld %lld %lld %a %d %a\n", found ? 1 : 0, energy,
                  static_cast<long long>(cycles), static_cast<long long>(r.validMappings),
                  static_cast<long long>(r.visited), static_cast<long long>(r.pruned), r.seconds,
                  r.optimal ? 1 : 0, r.spaceSize);
    return keyText + figures + mapping + "\n" + strategy + "\n" + r.note;
}

} // namespace

// A mapping as one line: per level (innermost first, '|' between) the temporal, X and Y factors in Dim
// order, the temporal order's letters and the kept tensors, e.g. "1,1,1,4,3,3,1,1/1,.../.../MRS/101".
std::string encodeMapping(const Mapping &m)
{
    std::ostringstream os;
    for (size_t l = 0; l < m.levels.size(); ++l) {
        const LevelMapping &lm = m.levels[l];
        if (l)
            os << '|';
        for (const DimArray *a : {&lm.temporal, &lm.spatialX, &lm.spatialY}) {
            for (int i = 0; i < kNumDims; ++i)
                os << (i ? "," : "") << (*a)[i];
            os << '/';
        }
        for (Dim d : lm.order)
            os << dimLetter(d);
        os << '/';
        for (Tensor t : kAllTensors)
            os << (lm.keep[idx(t)] ? '1' : '0');
    }
    return os.str();
}

// The inverse; false on anything malformed (a damaged row).
bool decodeMapping(const std::string &text, int levels, Mapping &out)
{
    out.levels.clear();
    std::istringstream rows(text);
    std::string row;
    while (std::getline(rows, row, '|')) {
        LevelMapping lm;
        std::istringstream parts(row);
        std::string part;
        for (DimArray *a : {&lm.temporal, &lm.spatialX, &lm.spatialY}) {
            if (!std::getline(parts, part, '/'))
                return false;
            std::istringstream nums(part);
            std::string n;
            for (int i = 0; i < kNumDims; ++i) {
                if (!std::getline(nums, n, ','))
                    return false;
                char *end = nullptr;
                const long long v = std::strtoll(n.c_str(), &end, 10);
                if (n.empty() || *end != '\0' || v < 1)
                    return false;
                (*a)[i] = v;
            }
            if (std::getline(nums, n, ','))
                return false;
        }
        if (!std::getline(parts, part, '/'))
            return false;
        for (char c : part) {
            Dim d;
            if (!dimFromLetter(c, d))
                return false;
            lm.order.push_back(d);
        }
        if (!std::getline(parts, part) || part.size() != kNumTensors)
            return false;
        for (Tensor t : kAllTensors) {
            const char c = part[size_t(idx(t))];
            if (c != '0' && c != '1')
                return false;
            lm.keep[idx(t)] = c == '1';
        }
        out.levels.push_back(std::move(lm));
    }
    return static_cast<int>(out.levels.size()) == levels;
}

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
    void removeRow(const std::string &digest, const std::string &mappingCode)
    {
        Use u(remove);
        sql.bindText(u.stmt, 1, digest);
        sql.bindText(u.stmt, 2, mappingCode);
        if (sqlite3_step(u.stmt) != SQLITE_DONE)
            sql.fail("cannot delete a cache entry");
    }
};

MapperCache::MapperCache(const std::string &dir, WarningFn onWarning)
    : db_(std::make_unique<Db>()), warn_(std::move(onWarning))
{
    path_ = (fs::path(dir) / "mapper.sqlite").string();
    db_->sql.open(path_, "the mapper cache");
    // Rows of v1 (table `results`, YAML mappings) are left alone: their keys cannot match v2 questions.
    db_->sql.exec("CREATE TABLE IF NOT EXISTS mapper_results(key TEXT PRIMARY KEY, key_text TEXT, found INT, "
                  "mapping TEXT, energy REAL, cycles INT, valid INT, visited INT, pruned INT, seconds REAL, "
                  "optimal INT, strategy TEXT, space REAL, note TEXT, checksum TEXT, created TEXT)");
    db_->sql.prepare(
        db_->select,
        "SELECT key_text, found, mapping, energy, cycles, valid, visited, pruned, seconds, optimal, "
        "strategy, space, note, checksum FROM mapper_results WHERE key = ?1");
    db_->sql.prepare(
        db_->insert,
        "INSERT OR REPLACE INTO mapper_results(key, key_text, found, mapping, energy, cycles, valid, "
        "visited, pruned, seconds, optimal, strategy, space, note, checksum, created) VALUES(?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
    db_->sql.prepare(db_->remove, "DELETE FROM mapper_results WHERE key = ?1 AND coalesce(mapping, '') = ?2");
    db_->sql.prepare(db_->count, "SELECT COUNT(*) FROM mapper_results");
}

MapperCache::~MapperCache() = default;

std::optional<MapperCache::StoredRow> MapperCache::readRow(const std::string &digest)
{
    if (disabled_)
        return std::nullopt;
    try {
        std::lock_guard<std::mutex> lock(db_->mutex);
        Use u(db_->select);
        db_->sql.bindText(u.stmt, 1, digest);
        if (!db_->sql.nextRow(u.stmt, "cannot read the mapper cache"))
            return std::nullopt;
        StoredRow row;
        row.keyText = columnText(u.stmt, 0);
        row.result.found = sqlite3_column_int(u.stmt, 1) != 0;
        row.mappingCode = columnText(u.stmt, 2);
        row.energy = sqlite3_column_double(u.stmt, 3);
        row.cycles = sqlite3_column_int64(u.stmt, 4);
        row.result.validMappings = sqlite3_column_int64(u.stmt, 5);
        row.result.visited = sqlite3_column_int64(u.stmt, 6);
        row.result.pruned = sqlite3_column_int64(u.stmt, 7);
        row.result.seconds = sqlite3_column_double(u.stmt, 8);
        row.result.optimal = sqlite3_column_int(u.stmt, 9) != 0;
        row.strategy = columnText(u.stmt, 10);
        row.result.spaceSize = sqlite3_column_double(u.stmt, 11);
        row.result.note = columnText(u.stmt, 12);
        row.checksum = columnText(u.stmt, 13);
        return row;
    } catch (const std::runtime_error &e) {
        disable(e.what());
        return std::nullopt;
    }
}

std::optional<MapperResult> MapperCache::lookup(const ProblemShape &shape, const Architecture &arch,
                                                const BitWidths &bits, const MapperOptions &options)
{
    const MapperKey key = mapperKey(shape, arch, bits, options);
    const std::optional<StoredRow> row = readRow(key.digest);
    if (!row)
        return std::nullopt;
    MapperResult result = row->result;
    // A digest collision is not worth trusting the odds on when the text is at hand.
    if (row->keyText != key.text)
        return std::nullopt;

    // The row must be what was stored (its checksum: a flipped found flag or count is caught here), and
    // its mapping, evaluated once at exactly the asked widths for the per-level figures (microseconds),
    // must reproduce the stored energy and cycles (widths that share the key pack alike).
    bool usable = row->checksum == sha256Hex(rowText(row->keyText, result.found, row->mappingCode,
                                                     row->energy, row->cycles, result, row->strategy)) &&
                  strategyFromName(row->strategy, result.strategy);
    if (usable && result.found) {
        usable = decodeMapping(row->mappingCode, arch.numLevels(), result.mapping);
        if (usable) {
            result.evaluation = evaluate(shape, arch, result.mapping, bits, options.model);
            usable = result.evaluation.valid && result.evaluation.energy == row->energy &&
                     result.evaluation.cycles == row->cycles;
        }
    }
    if (!usable) {
        // A damaged row: forget it, so the search runs again and stores a sound one.
        warn("the mapper cache " + path_ + " held a damaged row; it was dropped and is computed again");
        try {
            std::lock_guard<std::mutex> lock(db_->mutex);
            db_->removeRow(key.digest, row->mappingCode);
        } catch (const std::runtime_error &e) {
            disable(e.what());
        }
        return std::nullopt;
    }
    if (options.progress)
        options.progress(1.0);
    return result;
}

void MapperCache::warn(const std::string &what) const
{
    if (warn_)
        warn_(what);
    else
        printWarning(what);
}

void MapperCache::disable(const std::string &why)
{
    if (disabled_.exchange(true))
        return;
    warn("the mapper cache " + path_ + " cannot be used, running without it: " + why);
}

std::vector<Mapping> MapperCache::neighbours(const ProblemShape &shape, const Architecture &arch,
                                             const BitWidths &bits, const MapperOptions &options)
{
    if (disabled_)
        return {};
    std::vector<BitWidths> widths;
    for (Tensor t : kAllTensors)
        for (int b : {16, 8, 4, 2}) {
            BitWidths w = bits;
            w.bits[idx(t)] = b;
            widths.push_back(w);
        }
    for (int b : {16, 8, 4})
        widths.push_back(BitWidths::uniform(b));
    std::set<std::string> seen{mapperKey(shape, arch, bits, options).digest};
    std::vector<Mapping> out;
    for (const BitWidths &w : widths) {
        bool fits = true;
        for (const StorageLevel &level : arch.levels)
            for (Tensor t : kAllTensors)
                fits = fits && packingFactor(level.wordBits, w.of(t)) > 0;
        if (!fits)
            continue;
        const std::string digest = mapperKey(shape, arch, w, options).digest;
        if (!seen.insert(digest).second)
            continue;
        const std::optional<StoredRow> row = readRow(digest);
        Mapping m; // the walk checks that it lies in its space
        if (row && row->result.found && decodeMapping(row->mappingCode, arch.numLevels(), m))
            out.push_back(std::move(m));
    }
    return out;
}

void MapperCache::store(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                        const MapperOptions &options, const MapperResult &result)
{
    if (result.cancelled || disabled_) // a partial walk is no answer to the question
        return;
    const MapperKey key = mapperKey(shape, arch, bits, options);
    const std::string mappingCode = result.found ? encodeMapping(result.mapping) : std::string();

    const double energy = result.found ? result.evaluation.energy : 0.0;
    const int64_t cycles = result.found ? result.evaluation.cycles : 0;
    const std::string strategy = strategyName(result.strategy);
    const std::string checksum =
        sha256Hex(rowText(key.text, result.found, mappingCode, energy, cycles, result, strategy));
    try {
        std::lock_guard<std::mutex> lock(db_->mutex);
        db_->sql.transaction([&] {
            Use u(db_->insert);
            sqlite3_stmt *s = u.stmt;
            db_->sql.bindText(s, 1, key.digest);
            db_->sql.bindText(s, 2, key.text);
            sqlite3_bind_int(s, 3, result.found ? 1 : 0);
            db_->sql.bindText(s, 4, mappingCode);
            sqlite3_bind_double(s, 5, energy);
            sqlite3_bind_int64(s, 6, cycles);
            sqlite3_bind_int64(s, 7, result.validMappings);
            sqlite3_bind_int64(s, 8, result.visited);
            sqlite3_bind_int64(s, 9, result.pruned);
            sqlite3_bind_double(s, 10, result.seconds);
            sqlite3_bind_int(s, 11, result.optimal ? 1 : 0);
            db_->sql.bindText(s, 12, strategy);
            sqlite3_bind_double(s, 13, result.spaceSize);
            db_->sql.bindText(s, 14, result.note);
            db_->sql.bindText(s, 15, checksum);
            if (sqlite3_step(s) != SQLITE_DONE)
                db_->sql.fail("cannot store a mapper result");
        });
    } catch (const std::runtime_error &e) { // a full or read-only disk: the answer stands, uncached
        disable(e.what());
    }
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
    MapperOptions withHints = options;
    if (options.strategy != Strategy::Sampled && !options.countValid) {
        std::vector<Mapping> near = cache->neighbours(shape, arch, bits, options);
        withHints.hints.insert(withHints.hints.end(), near.begin(), near.end());
    }
    MapperResult result = findBestMapping(shape, arch, bits, withHints);
    if (!result.cancelled)
        cache->store(shape, arch, bits, options, result);
    return result;
}

} // namespace bitloop
