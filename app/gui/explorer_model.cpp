#include "explorer_model.h"

#include "io/yaml_util.h"
#include "search/sorting.h"
#include "util/json.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace bitloop::gui
{

using search::Objective;

namespace
{

constexpr Objective kAxisObjectives[] = {Objective::Error, Objective::Energy, Objective::Memory,
                                         Objective::Edp, Objective::Cycles};

bool isAxisName(const std::string &name, bool colour)
{
    for (Objective o : kAxisObjectives)
        if (name == search::objectiveName(o))
            return true;
    return colour && (name == "generation" || name == "none");
}

// "4/8 2/8 ...": one weight/activation pair per layer, as the session stores a what-if.
std::string formatWidths(const BitConfig &bits)
{
    std::string s;
    for (const LayerBits &b : bits)
        s += (s.empty() ? "" : " ") + std::to_string(b.weights) + "/" + std::to_string(b.activations);
    return s;
}

// Empty for any malformed pair or a width outside 1..32.
BitConfig parseWidths(const std::string &text)
{
    BitConfig bits;
    std::istringstream in(text);
    std::string pair;
    while (in >> pair) {
        int w = 0, a = 0;
        char slash = 0, extra = 0;
        std::istringstream p(pair);
        if (!(p >> w >> slash >> a) || slash != '/' || (p >> extra) || w < 1 || w > 32 || a < 1 || a > 32)
            return {};
        bits.push_back({w, a});
    }
    return bits;
}

// A session value, or nothing where it is missing or of another type.
template <typename T> std::optional<T> scalar(const YAML::Node &n)
{
    if (!n || !n.IsScalar())
        return std::nullopt;
    try {
        return n.as<T>();
    } catch (const YAML::Exception &) {
        return std::nullopt;
    }
}

// A count a session may give (cycles, bytes): finite, not negative, and within int64_t.
std::optional<int64_t> count(const YAML::Node &n)
{
    const std::optional<double> d = scalar<double>(n);
    if (!d || !std::isfinite(*d) || *d < 0 || *d > 9.0e18)
        return std::nullopt;
    return static_cast<int64_t>(*d);
}

} // namespace

double plotValue(const search::EvaluatedIndividual &e, Objective o)
{
    if (o == Objective::Error && e.cost.accuracy < 0)
        return std::nan("");
    return e.cost.value(o);
}

void ExplorerModel::notify(Event::Kind kind, int index)
{
    for (const Observer &o : observers_)
        o(Event{kind, index});
}

void ExplorerModel::clear()
{
    points_.clear();
    dominated_.clear();
    front_.clear();
    pinned_.clear();
    whatIfPins_.clear();
    whatIf_.reset(); // an edit of the previous run's point is no edit of this run's
    selected_ = -1;
    shownBits_.clear(); // nor is the configuration shown from it
    shownCost_.reset();
    shownMappings_ = {};
    lastGeneration_ = -1;
    evaluations_ = 0;
    notify(Event::Cleared);
}

std::vector<double> ExplorerModel::objectiveValues(const search::EvaluatedIndividual &e) const
{
    std::vector<double> v;
    for (Objective o : objectives_)
        v.push_back(o == Objective::Error && e.cost.accuracy < 0 ? 0.0 : e.cost.value(o));
    return v;
}

void ExplorerModel::addBatch(const std::vector<search::EvaluatedIndividual> &batch)
{
    if (batch.empty())
        return;
    const int first = static_cast<int>(points_.size());
    // Each new point is checked against the front only: whatever the front does not dominate, nothing
    // evaluated before does either.
    for (const auto &e : batch) {
        const int id = static_cast<int>(points_.size());
        points_.push_back(e);
        dominated_.push_back(e.violation > 0);
        if (e.violation > 0)
            continue;
        const std::vector<double> v = objectiveValues(e);
        const bool beaten = std::any_of(front_.begin(), front_.end(), [&](int a) {
            const std::vector<double> av = objectiveValues(points_[static_cast<size_t>(a)]);
            // A configuration evaluated again is not a new point; another configuration with the same
            // objectives is (both are answers, as in the run's front.csv: search/archive.h).
            const auto &member = points_[static_cast<size_t>(a)];
            return member.bits == e.bits || search::dominates(av, v);
        });
        if (beaten) {
            dominated_.back() = true;
            continue;
        }
        std::vector<int> kept;
        for (int a : front_) {
            if (search::dominates(v, objectiveValues(points_[static_cast<size_t>(a)])))
                dominated_[static_cast<size_t>(a)] = true;
            else
                kept.push_back(a);
        }
        kept.push_back(id);
        front_ = std::move(kept);
    }
    notify(Event::PointsAdded, first);
}

std::optional<double> ExplorerModel::knownAccuracy(const BitConfig &bits) const
{
    for (const auto &e : points_)
        if (e.bits == bits && e.cost.accuracy >= 0)
            return e.cost.accuracy;
    return std::nullopt;
}

bool ExplorerModel::select(int id)
{
    if (id < 0 || id >= static_cast<int>(points_.size()))
        return false;
    selected_ = id;
    whatIf_.reset();
    notify(Event::Selected, id);
    return true;
}

void ExplorerModel::setShown(BitConfig bits, search::CandidateCost cost, NetworkMapping mappings)
{
    shownBits_ = std::move(bits);
    shownCost_ = cost;
    shownMappings_ = std::move(mappings);
    notify(Event::ShownChanged);
}

void ExplorerModel::setShownAccuracy(double accuracy)
{
    if (shownCost_)
        shownCost_->accuracy = accuracy;
}

bool ExplorerModel::isPinned(int id) const
{
    return std::find(pinned_.begin(), pinned_.end(), id) != pinned_.end();
}

bool ExplorerModel::pinPoint(int id)
{
    if (id < 0 || id >= static_cast<int>(points_.size()) || isPinned(id))
        return false;
    pinned_.push_back(id);
    notify(Event::PointPinned, id);
    return true;
}

bool ExplorerModel::pinWhatIf(const BitConfig &bits, const search::CandidateCost &cost)
{
    for (const WhatIfPin &w : whatIfPins_)
        if (w.bits == bits)
            return false;
    whatIfPins_.push_back({bits, cost});
    notify(Event::WhatIfPinned, static_cast<int>(whatIfPins_.size()) - 1);
    return true;
}

ExplorerModel::PinResult ExplorerModel::pinSelection()
{
    if (selected_ < 0)
        return PinResult::NothingSelected;
    if (whatIf_) {
        // Shown and costed only once the mapper has answered for the edit.
        if (!shownCost_ || shownBits_ != *whatIf_)
            return PinResult::WhatIfPending;
        return pinWhatIf(shownBits_, *shownCost_) ? PinResult::Pinned : PinResult::AlreadyPinned;
    }
    return pinPoint(selected_) ? PinResult::Pinned : PinResult::AlreadyPinned;
}

std::string ExplorerModel::sessionJson() const
{
    JsonWriter j;
    j.beginObject();
    j.key("pinned").beginArray();
    for (int id : pinned_)
        j.value(id);
    j.endArray();
    j.key("pinned_what_ifs").beginArray(); // configurations not in the run: their widths and costs
    for (const WhatIfPin &w : whatIfPins_) {
        j.beginObject();
        j.field("bits", formatWidths(w.bits));
        j.field("energy_pj", w.cost.energyPj);
        j.field("cycles", w.cost.cycles);
        j.field("weight_bytes", w.cost.weightBytes);
        j.field("accuracy", w.cost.accuracy);
        j.endObject();
    }
    j.endArray();
    j.field("selected", selected_);
    j.field("x", view_.x).field("y", view_.y).field("color", view_.color);
    j.field("show_dominated", view_.showDominated);
    j.endObject();
    return j.str() + "\n";
}

void ExplorerModel::saveSession(const std::string &runDirectory) const
{
    yamlutil::writeFileAtomically(runDirectory + "/session.json", sessionJson());
}

bool ExplorerModel::loadSession(const std::string &runDirectory)
{
    std::string text;
    try {
        text = yamlutil::readText(runDirectory + "/session.json");
    } catch (const std::exception &) {
        return false;
    }
    return loadSessionJson(text);
}

bool ExplorerModel::loadSessionJson(const std::string &text)
{
    // JSON is read with the YAML reader (JSON is YAML's flow style), under its limits on depth and size.
    YAML::Node s;
    try {
        s = yamlutil::loadString(text, "session.json");
    } catch (const std::exception &) {
        return false;
    }
    if (!s.IsMap())
        return false;

    PlotView v = view_;
    if (auto x = scalar<std::string>(s["x"]); x && isAxisName(*x, false))
        v.x = *x;
    if (auto y = scalar<std::string>(s["y"]); y && isAxisName(*y, false))
        v.y = *y;
    if (auto c = scalar<std::string>(s["color"]); c && isAxisName(*c, true))
        v.color = *c;
    v.showDominated = scalar<bool>(s["show_dominated"]).value_or(true);
    view_ = v;
    notify(Event::ViewChanged);

    if (s["pinned"].IsSequence())
        for (const YAML::Node &id : s["pinned"])
            if (auto i = scalar<int>(id))
                pinPoint(*i); // ids past the end, and repeats, are left out
    const size_t layers = points_.empty() ? 0 : points_.front().bits.size();
    if (s["pinned_what_ifs"].IsSequence())
        for (const YAML::Node &o : s["pinned_what_ifs"]) {
            if (!o.IsMap())
                continue;
            WhatIfPin w;
            w.bits = parseWidths(scalar<std::string>(o["bits"]).value_or(""));
            if (w.bits.empty() || w.bits.size() != layers) // damaged, or of another network
                continue;
            const auto energy = scalar<double>(o["energy_pj"]);
            const auto cycles = count(o["cycles"]), bytes = count(o["weight_bytes"]);
            if (!energy || !std::isfinite(*energy) || *energy < 0 || !cycles || !bytes)
                continue;
            w.cost.energyPj = *energy;
            w.cost.cycles = *cycles;
            w.cost.weightBytes = *bytes;
            const double accuracy = scalar<double>(o["accuracy"]).value_or(-1.0);
            w.cost.accuracy = accuracy >= 0 && accuracy <= 1 ? accuracy : -1.0;
            pinWhatIf(w.bits, w.cost);
        }
    select(scalar<int>(s["selected"]).value_or(-1));
    return true;
}

} // namespace bitloop::gui
