// The on-disk accuracy cache (SQLite, accuracy.sqlite in the cache directory): one row per
// (evaluator context, settings, per-layer bits), so that a search, a second search, the GUI and the CLI
// never train the same configuration twice, across processes.
#pragma once

#include "accuracy/evaluator.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace bitloop
{

// The key of one accuracy question: a SHA-256 of its canonical text (kept to rule out collisions).
struct AccuracyKey {
    std::string digest, text;
};
AccuracyKey accuracyKey(const std::string &context, const EvaluatorSettings &settings, const BitConfig &bits);

// Every row carries a checksum (SHA-256 of its key text and its figures): a row that fails it, or holds
// figures no evaluation gives (accuracy outside [0, 1], negative images or seconds, not finite), is dropped
// with one warning line and missed, so that the caller recomputes and stores it again. A location where
// the cache cannot be opened or written (read-only, full, not a directory) is not an error: the cache says
// so in one warning and works as no cache (lookups miss, stores do nothing).
class AccuracyCache
{
public:
    using WarningFn = std::function<void(const std::string &)>;
    // Opens (creating) `dir`/accuracy.sqlite. Warnings go to `warn` (default: "warning: ..." on stderr).
    explicit AccuracyCache(const std::string &dir, WarningFn onWarning = {});
    ~AccuracyCache();
    AccuracyCache(const AccuracyCache &) = delete;
    AccuracyCache &operator=(const AccuracyCache &) = delete;

    std::optional<AccuracyResult> lookup(const AccuracyKey &key);
    void store(const AccuracyKey &key, const AccuracyResult &result); // cancelled results are not stored
    int64_t entries() const;                                          // 0 when unusable
    const std::string &path() const { return path_; }
    // False once the cache could not be opened or written: it then works as no cache.
    bool usable() const { return db_ != nullptr && !disabled_; }

private:
    void disable(const std::string &why);
    void warn(const std::string &what) const;

    struct Db;
    std::unique_ptr<Db> db_;
    std::string path_;
    WarningFn warn_;
    std::atomic<bool> disabled_{false};
};

} // namespace bitloop
