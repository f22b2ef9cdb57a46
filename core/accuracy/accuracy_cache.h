// The on-disk accuracy cache (SQLite, accuracy.sqlite in the cache directory): one row per
// (evaluator context, settings, per-layer bits), so that a search, a second search, the GUI and the CLI
// never train the same configuration twice, across processes.
#pragma once

#include "accuracy/evaluator.h"

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

class AccuracyCache
{
public:
    // Opens (creating) `dir`/accuracy.sqlite; std::runtime_error naming the file on failure.
    explicit AccuracyCache(const std::string &dir);
    ~AccuracyCache();
    AccuracyCache(const AccuracyCache &) = delete;
    AccuracyCache &operator=(const AccuracyCache &) = delete;

    std::optional<AccuracyResult> lookup(const AccuracyKey &key);
    void store(const AccuracyKey &key, const AccuracyResult &result); // cancelled results are not stored
    int64_t entries() const;
    const std::string &path() const { return path_; }

private:
    struct Db;
    std::unique_ptr<Db> db_;
    std::string path_;
};

} // namespace bitloop
