// A search's run directory, everything needed to inspect, export or resume it:
//   settings.yaml   what was asked (written once, by the caller)
//   run.sqlite      every evaluated individual with all its figures, and one row per generation
//   checkpoint.txt  the engine's state after the last whole generation (written atomically)
//   front.csv       the non-dominated configurations of every evaluation so far (search/archive.h): one
//                   column per objective, then two per layer (w, a bits)
//   run.lock        locked by the one process writing the run (util/file_lock.h), naming it
// A generation's individuals and its row are stored in one transaction before its checkpoint is
// written; rows of a generation that has no checkpoint (a run killed in between) are dropped on resume.
#pragma once

#include "search/codesign.h"
#include "util/file_lock.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bitloop::search
{

struct EvaluatedIndividual {
    int generation = 0;
    BitConfig bits;
    CandidateCost cost;
    double violation = 0;
};

struct GenerationRecord {
    int generation = 0;
    long long evaluations = 0;
    double hypervolume = 0; // of the run's archive (every evaluation so far), not of the population
    size_t frontSize = 0;   // configurations in that archive
    double elapsedSeconds = 0;
    double mapperSeconds = 0, accuracySeconds = 0, algorithmSeconds = 0; // spent on this generation
};

class RunDirectory
{
public:
    // Opens (creating) `dir` and its run.sqlite to write, after taking run.lock: while another process (or
    // another RunDirectory of this one) writes the run, an InputError naming run.lock and that process
    // (pid, host, since when), before anything is touched. std::runtime_error naming the file on other
    // failures. run.sqlite
    // keeps a rollback journal, not WAL, so that a process on another host can follow the run over a
    // shared file system (WAL's shared memory works on one host only); it commits once per generation.
    explicit RunDirectory(const std::string &dir);
    // Opens a run that another process may be writing, to read only (bitloop --follow): nothing in the
    // directory is created or changed, except that the transaction of a writer killed mid-generation is
    // rolled back when no writer holds the run (as the next writer would). std::runtime_error naming the file
    // when there is no run.sqlite.
    static std::unique_ptr<RunDirectory> openToRead(const std::string &dir);
    // The process writing the run in `dir` now ("pid P on HOST since TIME"), or nullopt when none is.
    static std::optional<std::string> writer(const std::string &dir);
    ~RunDirectory();
    RunDirectory(const RunDirectory &) = delete;
    RunDirectory &operator=(const RunDirectory &) = delete;

    const std::string &dir() const { return dir_; }
    std::string file(const std::string &name) const;

    bool hasSettings() const;
    void writeSettings(const std::string &yaml); // atomically
    std::string readSettings() const;            // InputError naming the file when missing

    // Values that must stay fixed over a run and its resumptions (the hypervolume reference point).
    void setMeta(const std::string &key, const std::string &value);
    std::optional<std::string> meta(const std::string &key) const;

    // One generation's evaluated batch and its record, in one transaction.
    void appendGeneration(const std::vector<EvaluatedIndividual> &batch, const GenerationRecord &record);
    // Drops individuals and records of generations after `generation` (work the last checkpoint lacks).
    void truncateAfter(int generation);
    std::vector<EvaluatedIndividual> individuals() const;
    std::vector<GenerationRecord> generations() const;

    void saveCheckpoint(const std::string &state); // atomically
    std::optional<std::string> checkpoint() const;

private:
    RunDirectory(const std::string &dir, bool readOnly);
    void rollBackAbandonedTransaction() const;
    std::unique_ptr<FileLock> lock_; // declared first: released after the database is closed
    struct Db;
    std::unique_ptr<Db> db_;
    std::string dir_;
};

// The front as CSV: a header (objective columns "error", "energy_uJ", ..., then "<layer>_w", "<layer>_a"
// per layer, 1-based "L01_conv1_w"), one row per distinct configuration, sorted by the objectives.
std::string frontCsv(const CodesignSpec &spec, const std::vector<Individual> &front);
// The front as JSON: {"objectives": [...], "layers": [...], "points": [{"objectives": {...}, "bits": [[w, a],
// ...]}]}.
std::string frontJson(const CodesignSpec &spec, const std::vector<Individual> &front);
// Reads a front CSV back: the per-layer bits of each row, and its objective values in column order.
struct FrontRow {
    std::vector<double> objectives;
    BitConfig bits;
};
std::vector<FrontRow> readFrontCsv(const std::string &path, size_t numObjectives);

// The command-line arguments a run was started with (settings.yaml's `arguments`, which --resume
// replays). InputError naming the file when it is missing, not a run's settings, or damaged.
std::vector<std::string> readRunArguments(const std::string &settingsPath);

} // namespace bitloop::search
