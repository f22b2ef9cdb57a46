#include "search/run_dir.h"

#include "io/yaml_util.h"
#include "util/error.h"
#include "util/json.h"
#include "util/sqlite_db.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace bitloop::search
{

namespace fs = std::filesystem;

namespace
{

std::string bitsText(const BitConfig &bits)
{
    return formatBitConfig(bits);
}

// A width as stored: 1..32, digits only. -1 when the text is anything else.
int parseWidth(const std::string &t)
{
    if (t.empty() || t.size() > 2 ||
        !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return -1;
    const int v = std::stoi(t);
    return v >= 1 && v <= 32 ? v : -1;
}

// "W/A W/A ..." as bitsText writes it; false on anything else (a damaged row).
bool parseBits(const std::string &text, BitConfig &out)
{
    out.clear();
    std::istringstream is(text);
    for (std::string tok; is >> tok;) {
        const size_t slash = tok.find('/');
        if (slash == std::string::npos)
            return false;
        const int w = parseWidth(tok.substr(0, slash)), a = parseWidth(tok.substr(slash + 1));
        if (w < 0 || a < 0)
            return false;
        out.push_back({w, a});
    }
    return !out.empty();
}

std::string objectiveColumn(Objective o)
{
    const std::string unit = objectiveUnit(o);
    std::string name = objectiveName(o);
    if (!unit.empty()) {
        std::string u = unit;
        std::replace(u.begin(), u.end(), '*', 'x');
        name += "_" + u;
    }
    return name;
}

// The points to show, sorted by the objectives: a population may hold copies of one configuration, which
// are one point of the front.
std::vector<size_t> orderByFirstObjective(const std::vector<Individual> &front)
{
    std::vector<size_t> order;
    std::set<std::vector<double>> seen;
    for (size_t i = 0; i < front.size(); ++i)
        if (seen.insert(front[i].x).second)
            order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return front[a].objectives < front[b].objectives; });
    return order;
}

// Whole numbers (bytes, cycles) as such, anything else as the shortest text that reads back exactly.
std::string csvNumber(double v)
{
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
        char b[32];
        std::snprintf(b, sizeof b, "%.0f", v);
        return b;
    }
    return yamlutil::formatDouble(v);
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csvField(const std::string &s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

struct RunDirectory::Db {
    SqliteDb sql;
    Statement insertInd, insertGen, selectInd, selectGen, setMeta, getMeta, truncInd, truncGen;
};

RunDirectory::RunDirectory(const std::string &dir) : RunDirectory(dir, false) {}

std::unique_ptr<RunDirectory> RunDirectory::openToRead(const std::string &dir)
{
    return std::unique_ptr<RunDirectory>(new RunDirectory(dir, true));
}

std::optional<std::string> RunDirectory::writer(const std::string &dir)
{
    return FileLock::holder((fs::path(dir) / "run.lock").string());
}

RunDirectory::RunDirectory(const std::string &dir, bool readOnly) : db_(std::make_unique<Db>()), dir_(dir)
{
    if (readOnly) {
        if (!fs::exists(file("run.sqlite")))
            throw std::runtime_error(file("run.sqlite") + ": no search run here (yet)");
        rollBackAbandonedTransaction();
        db_->sql.open(file("run.sqlite"), "the run database", SqliteDb::Mode::ReadOnly);
        db_->sql.prepare(
            db_->selectInd,
            "SELECT generation, bits, accuracy, energy_pj, cycles, weight_bytes, invalid_layers, "
            "violation, accuracy_seconds, mapper_seconds FROM individuals ORDER BY id");
        db_->sql.prepare(db_->selectGen, "SELECT * FROM generations ORDER BY generation");
        db_->sql.prepare(db_->getMeta, "SELECT value FROM meta WHERE key = ?1");
        return;
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error(dir + ": cannot create the run directory: " + ec.message());
    // Two writers would interleave generations in run.sqlite and overwrite each other's checkpoint.
    std::string holder;
    lock_ = FileLock::tryAcquire(file("run.lock"), &holder);
    if (!lock_)
        throw InputError(file("run.lock"), 0,
                         "another process is writing this run" + (holder.empty() ? "" : " (" + holder + ")") +
                             "; wait for it to end or stop it (bitloop --follow " + dir +
                             " shows it as it grows)");
    db_->sql.open(file("run.sqlite"), "the run database", SqliteDb::Mode::Rollback);
    db_->sql.exec("CREATE TABLE IF NOT EXISTS individuals(id INTEGER PRIMARY KEY, generation INT, bits TEXT, "
                  "accuracy REAL, energy_pj REAL, cycles INT, weight_bytes INT, invalid_layers INT, "
                  "violation REAL, accuracy_seconds REAL, mapper_seconds REAL)");
    db_->sql.exec(
        "CREATE TABLE IF NOT EXISTS generations(generation INT PRIMARY KEY, evaluations INT, "
        "hypervolume REAL, front_size INT, elapsed REAL, mapper_seconds REAL, accuracy_seconds REAL, "
        "algorithm_seconds REAL)");
    db_->sql.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)");
    db_->sql.prepare(
        db_->insertInd,
        "INSERT INTO individuals(generation, bits, accuracy, energy_pj, cycles, weight_bytes, "
        "invalid_layers, violation, accuracy_seconds, mapper_seconds) VALUES(?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10)");
    db_->sql.prepare(db_->insertGen,
                     "INSERT OR REPLACE INTO generations VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    db_->sql.prepare(db_->selectInd,
                     "SELECT generation, bits, accuracy, energy_pj, cycles, weight_bytes, invalid_layers, "
                     "violation, accuracy_seconds, mapper_seconds FROM individuals ORDER BY id");
    db_->sql.prepare(db_->selectGen, "SELECT * FROM generations ORDER BY generation");
    db_->sql.prepare(db_->setMeta, "INSERT OR REPLACE INTO meta VALUES(?1, ?2)");
    db_->sql.prepare(db_->getMeta, "SELECT value FROM meta WHERE key = ?1");
    db_->sql.prepare(db_->truncInd, "DELETE FROM individuals WHERE generation > ?1");
    db_->sql.prepare(db_->truncGen, "DELETE FROM generations WHERE generation > ?1");
}

void RunDirectory::rollBackAbandonedTransaction() const
{
    std::error_code ec;
    if (fs::file_size(file("run.sqlite-journal"), ec) == 0 || ec || writer(dir_))
        return;
    // A writer killed inside a generation's transaction leaves a hot journal, which only a connection that
    // may write can roll back: a read-only one fails ("attempt to write a readonly database") until the next
    // writer comes. Rolled back here under the writer's lock, as that writer would (the last committed
    // generation, nothing else); best effort, so a directory this process may not write is only read.
    try {
        const auto lock = FileLock::tryAcquire(file("run.lock"));
        if (!lock)
            return;
        SqliteDb db;
        db.open(file("run.sqlite"), "the run database", SqliteDb::Mode::Rollback);
        db.exec("SELECT count(*) FROM sqlite_master");
    } catch (const std::runtime_error &) {
    }
}

RunDirectory::~RunDirectory() = default;

std::string RunDirectory::file(const std::string &name) const
{
    return (fs::path(dir_) / name).string();
}

bool RunDirectory::hasSettings() const
{
    return fs::exists(file("settings.yaml"));
}

void RunDirectory::writeSettings(const std::string &yaml)
{
    yamlutil::writeFileAtomically(file("settings.yaml"), yaml);
}

std::string RunDirectory::readSettings() const
{
    if (!hasSettings())
        throw InputError(file("settings.yaml"), 0, "not a search run directory: no settings.yaml");
    return yamlutil::readText(file("settings.yaml"));
}

void RunDirectory::setMeta(const std::string &key, const std::string &value)
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    db_->sql.transaction([&] {
        Use u(db_->setMeta);
        db_->sql.bindText(u.stmt, 1, key);
        db_->sql.bindText(u.stmt, 2, value);
        if (sqlite3_step(u.stmt) != SQLITE_DONE)
            db_->sql.fail("cannot store " + key);
    });
}

std::optional<std::string> RunDirectory::meta(const std::string &key) const
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    Use u(db_->getMeta);
    db_->sql.bindText(u.stmt, 1, key);
    if (!db_->sql.nextRow(u.stmt, "cannot read " + key))
        return std::nullopt;
    return columnText(u.stmt, 0);
}

void RunDirectory::appendGeneration(const std::vector<EvaluatedIndividual> &batch, const GenerationRecord &g)
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    db_->sql.transaction([&] {
        for (const EvaluatedIndividual &e : batch) {
            Use u(db_->insertInd);
            sqlite3_bind_int(u.stmt, 1, e.generation);
            db_->sql.bindText(u.stmt, 2, bitsText(e.bits));
            sqlite3_bind_double(u.stmt, 3, e.cost.accuracy);
            sqlite3_bind_double(u.stmt, 4, e.cost.energyPj);
            sqlite3_bind_int64(u.stmt, 5, e.cost.cycles);
            sqlite3_bind_int64(u.stmt, 6, e.cost.weightBytes);
            sqlite3_bind_int(u.stmt, 7, e.cost.invalidLayers);
            sqlite3_bind_double(u.stmt, 8, e.violation);
            sqlite3_bind_double(u.stmt, 9, e.cost.accuracySeconds);
            sqlite3_bind_double(u.stmt, 10, e.cost.mapperSeconds);
            if (sqlite3_step(u.stmt) != SQLITE_DONE)
                db_->sql.fail("cannot store an individual");
        }
        Use u(db_->insertGen);
        sqlite3_bind_int(u.stmt, 1, g.generation);
        sqlite3_bind_int64(u.stmt, 2, g.evaluations);
        sqlite3_bind_double(u.stmt, 3, g.hypervolume);
        sqlite3_bind_int64(u.stmt, 4, static_cast<int64_t>(g.frontSize));
        sqlite3_bind_double(u.stmt, 5, g.elapsedSeconds);
        sqlite3_bind_double(u.stmt, 6, g.mapperSeconds);
        sqlite3_bind_double(u.stmt, 7, g.accuracySeconds);
        sqlite3_bind_double(u.stmt, 8, g.algorithmSeconds);
        if (sqlite3_step(u.stmt) != SQLITE_DONE)
            db_->sql.fail("cannot store a generation");
    });
}

void RunDirectory::truncateAfter(int generation)
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    db_->sql.transaction([&] {
        for (Statement *s : {&db_->truncInd, &db_->truncGen}) {
            Use u(*s);
            sqlite3_bind_int(u.stmt, 1, generation);
            if (sqlite3_step(u.stmt) != SQLITE_DONE)
                db_->sql.fail("cannot drop unfinished generations");
        }
    });
}

std::vector<EvaluatedIndividual> RunDirectory::individuals() const
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    std::vector<EvaluatedIndividual> out;
    Use u(db_->selectInd);
    while (db_->sql.nextRow(u.stmt, "cannot read the individuals")) {
        EvaluatedIndividual e;
        e.generation = sqlite3_column_int(u.stmt, 0);
        const std::string bits = columnText(u.stmt, 1);
        if (!parseBits(bits, e.bits))
            throw InputError(file("run.sqlite"), 0,
                             "damaged: an individual of generation " + std::to_string(e.generation) +
                                 " has the bit-widths '" + bits.substr(0, 80) +
                                 "' (expected weight/activation pairs of 1 to 32 bits, one per layer)");
        e.cost.accuracy = sqlite3_column_double(u.stmt, 2);
        e.cost.energyPj = sqlite3_column_double(u.stmt, 3);
        e.cost.cycles = sqlite3_column_int64(u.stmt, 4);
        e.cost.weightBytes = sqlite3_column_int64(u.stmt, 5);
        e.cost.invalidLayers = sqlite3_column_int(u.stmt, 6);
        e.violation = sqlite3_column_double(u.stmt, 7);
        e.cost.accuracySeconds = sqlite3_column_double(u.stmt, 8);
        e.cost.mapperSeconds = sqlite3_column_double(u.stmt, 9);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<GenerationRecord> RunDirectory::generations() const
{
    std::lock_guard<std::mutex> lock(db_->sql.mutex);
    std::vector<GenerationRecord> out;
    Use u(db_->selectGen);
    while (db_->sql.nextRow(u.stmt, "cannot read the generations")) {
        GenerationRecord g;
        g.generation = sqlite3_column_int(u.stmt, 0);
        g.evaluations = sqlite3_column_int64(u.stmt, 1);
        g.hypervolume = sqlite3_column_double(u.stmt, 2);
        g.frontSize = static_cast<size_t>(sqlite3_column_int64(u.stmt, 3));
        g.elapsedSeconds = sqlite3_column_double(u.stmt, 4);
        g.mapperSeconds = sqlite3_column_double(u.stmt, 5);
        g.accuracySeconds = sqlite3_column_double(u.stmt, 6);
        g.algorithmSeconds = sqlite3_column_double(u.stmt, 7);
        out.push_back(g);
    }
    return out;
}

void RunDirectory::saveCheckpoint(const std::string &state)
{
    yamlutil::writeFileAtomically(file("checkpoint.txt"), state);
}

std::optional<std::string> RunDirectory::checkpoint() const
{
    if (!fs::exists(file("checkpoint.txt")))
        return std::nullopt;
    return yamlutil::readText(file("checkpoint.txt"));
}

std::string frontCsv(const CodesignSpec &spec, const std::vector<Individual> &front)
{
    std::ostringstream os;
    std::vector<std::string> header;
    for (Objective o : spec.objectives)
        header.push_back(objectiveColumn(o));
    for (size_t i = 0; i < spec.network.layers.size(); ++i) {
        char prefix[32];
        std::snprintf(prefix, sizeof prefix, "L%02zu_", i + 1);
        header.push_back(prefix + spec.network.layers[i].name + "_w");
        header.push_back(prefix + spec.network.layers[i].name + "_a");
    }
    for (size_t i = 0; i < header.size(); ++i)
        os << (i ? "," : "") << csvField(header[i]);
    os << "\n";
    for (size_t k : orderByFirstObjective(front)) {
        const Individual &ind = front[k];
        for (size_t j = 0; j < ind.objectives.size(); ++j)
            os << (j ? "," : "") << csvNumber(ind.objectives[j]);
        for (const LayerBits &b : decode(ind.x))
            os << "," << b.weights << "," << b.activations;
        os << "\n";
    }
    return os.str();
}

std::string frontJson(const CodesignSpec &spec, const std::vector<Individual> &front)
{
    JsonWriter j;
    j.beginObject().field("network", spec.network.name).field("architecture", spec.arch.name);
    j.key("objectives").beginArray();
    for (Objective o : spec.objectives)
        j.beginObject().field("name", objectiveName(o)).field("unit", objectiveUnit(o)).endObject();
    j.endArray().key("layers").beginArray();
    for (const Layer &l : spec.network.layers)
        j.value(l.name);
    j.endArray().key("points").beginArray();
    for (size_t k : orderByFirstObjective(front)) {
        j.beginObject().key("objectives").beginObject();
        for (size_t o = 0; o < spec.objectives.size(); ++o)
            j.field(objectiveName(spec.objectives[o]), front[k].objectives[o]);
        j.endObject().key("bits").beginArray();
        for (const LayerBits &b : decode(front[k].x))
            j.beginArray().value(b.weights).value(b.activations).endArray();
        j.endArray().endObject();
    }
    j.endArray().endObject();
    return j.str() + "\n";
}

std::vector<FrontRow> readFrontCsv(const std::string &path, size_t numObjectives)
{
    std::ifstream in(path);
    if (!in)
        throw InputError(path, 0, "cannot read the front");
    std::vector<FrontRow> rows;
    std::string line;
    int lineNo = 0;
    size_t columns = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') // saved back by a spreadsheet on another system
            line.pop_back();
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (char c : line) {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted) {
                cells.push_back(cell);
                cell.clear();
            } else
                cell += c;
        }
        cells.push_back(cell);
        if (lineNo == 1) {
            columns = cells.size();
            if (columns < numObjectives || (columns - numObjectives) % 2 != 0)
                throw InputError(path, 1,
                                 "expected " + std::to_string(numObjectives) +
                                     " objective columns and two per layer");
            continue;
        }
        if (line.empty())
            continue;
        if (cells.size() != columns)
            throw InputError(path, lineNo,
                             "expected " + std::to_string(columns) + " values, got " +
                                 std::to_string(cells.size()));
        FrontRow row;
        try {
            for (size_t j = 0; j < numObjectives; ++j)
                row.objectives.push_back(std::stod(cells[j]));
            for (size_t j = numObjectives; j + 1 < cells.size(); j += 2)
                row.bits.push_back({std::stoi(cells[j]), std::stoi(cells[j + 1])});
        } catch (const std::exception &) {
            throw InputError(path, lineNo, "a value that is not a number");
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<std::string> readRunArguments(const std::string &settingsPath)
{
    // Checked before reading: a mistyped run directory must not be created by anyone downstream.
    if (!fs::exists(settingsPath))
        throw InputError(settingsPath, 0, "not a search run directory: no settings.yaml");
    const YAML::Node root = yamlutil::loadFile(settingsPath);
    const yamlutil::Where w{settingsPath, ""};
    yamlutil::expectMap(w, root, "a run's settings");
    std::vector<std::string> args;
    for (const YAML::Node &n :
         yamlutil::toList(w, yamlutil::require(w, root, "arguments", "a list"), "arguments"))
        args.push_back(yamlutil::toString(w, n, "arguments"));
    return args;
}

} // namespace bitloop::search
