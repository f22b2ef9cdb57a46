// An on-disk cache of mapper results, in SQLite: a second run of the same question is instant, two
// processes can share it, and any change to the architecture misses it.
//
// A result is keyed by what changes it and nothing else: the architecture's content (every level, energy
// and constraint, as its canonical YAML), the layer's shape, the packing factor of each tensor at each level
// (bit-widths that pack the same, such as 6, 7 and 8 bits in 16-bit words, share one entry; the MAC's
// operand widths join the key only when its energy scales with them), the metric, the strategy and its
// budget, the model options, and whether the valid mappings were counted (--count-valid walks everything).
// A row holds the mapping in a compact one-line form with its energy, cycles and a checksum of the whole
// row: a hit checks the checksum, decodes the mapping and evaluates it once at the asked widths (the
// per-level figures), which must reproduce the stored energy and cycles exactly; a row that fails is
// damaged, forgotten with one warning and searched again.
#pragma once

#include "mapper/search.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace bitloop
{

// A mapping as one line (per level, innermost first: temporal, X and Y factors, the temporal order, the kept
// tensors), as the cache stores it and as MPI ranks exchange it; decodeMapping is false on anything
// malformed or on another number of levels.
std::string encodeMapping(const Mapping &m);
bool decodeMapping(const std::string &text, int levels, Mapping &out);

// The cache directory: $BITLOOP_CACHE_DIR, else $XDG_CACHE_HOME/bitloop, else ~/.cache/bitloop.
std::string defaultCacheDir();

// The key of one mapper question (a hex digest of its canonical text; the text is kept for debugging).
struct MapperKey {
    std::string digest;
    std::string text;
};
MapperKey mapperKey(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                    const MapperOptions &options);

class MapperCache
{
public:
    using WarningFn = std::function<void(const std::string &)>;
    // Opens (creating if needed) `dir`/mapper.sqlite. Throws std::runtime_error naming the file on failure.
    // Warnings (a damaged row dropped; the cache failing later and switched off) go to `onWarning`
    // (default: "warning: ..." on stderr).
    explicit MapperCache(const std::string &dir = defaultCacheDir(), WarningFn onWarning = {});
    ~MapperCache();
    MapperCache(const MapperCache &) = delete;
    MapperCache &operator=(const MapperCache &) = delete;

    // A stored result for this question, its mapping re-evaluated at exactly these bit-widths.
    std::optional<MapperResult> lookup(const ProblemShape &shape, const Architecture &arch,
                                       const BitWidths &bits, const MapperOptions &options);
    void store(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
               const MapperOptions &options, const MapperResult &result);
    // Stored mappings of the same question at nearby widths (each tensor in turn at 16, 8, 4 and 2 bits,
    // and uniform 16, 8 and 4): first incumbents for a search at `bits` (MapperOptions::hints).
    std::vector<Mapping> neighbours(const ProblemShape &shape, const Architecture &arch,
                                    const BitWidths &bits, const MapperOptions &options);
    const std::string &path() const { return path_; }
    int64_t entries() const;
    // False once reading or writing failed (a full or read-only disk): it then works as no cache.
    bool usable() const { return !disabled_; }

private:
    // A row as stored (nothing checked yet); none when there is none or the database failed (the cache
    // is then switched off).
    struct StoredRow {
        std::string keyText, mappingCode, strategy, checksum;
        double energy = 0;
        int64_t cycles = 0;
        MapperResult result; // found and the walk's figures
    };
    std::optional<StoredRow> readRow(const std::string &digest);
    void warn(const std::string &what) const;
    void disable(const std::string &why);

    struct Db;
    std::unique_ptr<Db> db_;
    std::string path_;
    WarningFn warn_;
    std::atomic<bool> disabled_{false};
};

// The mapper through a cache: a hit is returned at once (cached = true), a miss is searched and stored.
// Cancelled searches are not stored. A null cache searches every time.
MapperResult findBestMappingCached(MapperCache *cache, const ProblemShape &shape, const Architecture &arch,
                                   const BitWidths &bits, const MapperOptions &options,
                                   bool *cached = nullptr);

} // namespace bitloop
