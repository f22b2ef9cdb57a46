// Accelergy energy reference tables (ERT). A table belongs to the level (or MAC) named by the last dotted
// component of its name, instance range stripped: system.eyeriss.PE[0..167].psum_spad -> psum_spad.
// Action names are looked up in Timeloop's priority order (model/topology.hpp, storageOperationMappings):
// reads from random_read, then read; fills from random_fill, random_write, fill, then write; updates from
// random_update, update, then write (Timeloop charges an update as a write); the MAC from mac_random, else
// the most expensive action named mac or mac_*. An action listed several times (one entry per argument
// combination) counts at its most expensive entry.
#include "io/arch_io.h"
#include "io/yaml_util.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace bitloop
{

using namespace yamlutil;

namespace
{

std::string levelOfTable(const std::string &tableName)
{
    std::string plain; // the name without its ranges, whose ".." would look like dots
    int depth = 0;
    for (char c : tableName) {
        depth += c == '[' ? 1 : c == ']' ? -1 : 0;
        if (depth == 0 && c != ']')
            plain += c;
    }
    const size_t dot = plain.rfind('.');
    return dot == std::string::npos ? plain : plain.substr(dot + 1);
}

std::optional<double> pick(const std::map<std::string, double> &actions,
                           std::initializer_list<const char *> names)
{
    for (const char *n : names) {
        auto it = actions.find(n);
        if (it != actions.end())
            return it->second;
    }
    return std::nullopt;
}

} // namespace

void applyErt(Architecture &arch, const YAML::Node &root, const std::string &file,
              std::vector<std::string> *warnings)
{
    const Where w{file, ""};
    auto warn = [&](const Where &at, const YAML::Node &node, const std::string &what) {
        if (warnings)
            warnings->push_back(warningAt(at, node, what));
    };
    expectMap(w, root, "an energy reference table with an 'ERT' key");
    YAML::Node ert = root;
    if (has(root, "ERT"))
        ert = root["ERT"];
    const Where ew = w.in("'ERT'");
    expectMap(ew, ert, "'version' and 'tables'");
    checkKeys(ew, ert, {"version", "tables"}, warnings);
    const YAML::Node tables = require(ew, ert, "tables", "a list of tables");

    std::set<std::string> covered;
    for (const YAML::Node &table : toList(ew, tables, "tables")) {
        expectMap(ew, table, "a table with 'name' and 'actions'");
        const std::string tableName = requireString(ew, table, "name");
        const Where tw = ew.in("table '" + tableName + "'");
        checkKeys(tw, table, {"name", "actions"}, warnings);
        const std::string target = levelOfTable(tableName);
        const int level = arch.levelIndex(target);
        const bool isMac = target == arch.mac.name;
        if (level < 0 && !isMac) {
            warn(tw, table["name"], "no level or compute unit named '" + target + "'; table ignored");
            continue;
        }
        if (!covered.insert(target).second)
            warn(tw, table["name"], "a second table for '" + target + "'; it replaces the first");

        std::map<std::string, double> actions;
        for (const YAML::Node &action :
             toList(tw, require(tw, table, "actions", "a list of actions"), "actions")) {
            expectMap(tw, action, "an action with 'name' and 'energy'");
            checkKeys(tw, action, {"name", "energy", "arguments"}, warnings);
            const std::string name = requireString(tw, action, "name");
            const double energy = requireDouble(tw.in("action '" + name + "' of '" + tableName + "'"), action,
                                                "energy", Sign::NonNegative);
            auto [it, fresh] = actions.emplace(name, energy);
            if (!fresh)
                it->second = std::max(it->second, energy);
        }

        if (isMac) {
            std::optional<double> e = pick(actions, {"mac_random"});
            if (!e)
                for (const auto &[name, energy] : actions)
                    if (name == "mac" || name.rfind("mac_", 0) == 0)
                        e = std::max(e.value_or(energy), energy);
            if (!e)
                warn(tw, table, "no mac_random (or mac_*) action; the MAC energy stays 0");
            arch.mac.energy = e.value_or(0);
            continue;
        }
        StorageLevel &l = arch.levels[level];
        const std::optional<double> read = pick(actions, {"random_read", "read"});
        const std::optional<double> write = pick(actions, {"random_fill", "random_write", "fill", "write"});
        const std::optional<double> update = pick(actions, {"random_update", "update", "write"});
        if (!read)
            warn(tw, table, "no read action; the read energy stays 0");
        if (!write)
            warn(tw, table, "no write action; the fill energy stays 0");
        l.readEnergy = read.value_or(0);
        l.writeEnergy = write.value_or(0);
        l.updateEnergy = update.value_or(l.writeEnergy);
    }
    for (const StorageLevel &l : arch.levels)
        if (!covered.count(l.name))
            warn(w, YAML::Node(), "level '" + l.name + "' has no energy table; its energies stay 0");
    if (!covered.count(arch.mac.name))
        warn(w, YAML::Node(), "compute unit '" + arch.mac.name + "' has no energy table; its energy stays 0");
}

void applyErt(Architecture &arch, const std::string &path, std::vector<std::string> *warnings)
{
    applyErt(arch, loadFile(path), path, warnings);
}

} // namespace bitloop
