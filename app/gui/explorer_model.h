// What the explorer knows about the run it shows, apart from any widget: every evaluated point, which of
// them no other point dominates, the pins (points and edited what-if configurations), the selection, the
// configuration on show, the plot's axes and the generation reached, and their session.json in the run
// folder. Plain C++ over core/, so that it is tested without a display (tests/test_explorer_model.cpp);
// the window observes it and turns its events into widget updates.
#pragma once

#include "mapper/network_mapper.h"
#include "search/run_dir.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bitloop::gui
{

// A point's value on a plot axis; NaN for an error that was never measured (it has no place on that axis).
double plotValue(const search::EvaluatedIndividual &e, search::Objective o);

class ExplorerModel
{
public:
    // An edited configuration pinned beside the run's points, with what the mapper said it costs.
    struct WhatIfPin {
        BitConfig bits;
        search::CandidateCost cost;
    };
    // The plot's axes as their menus name them: an objective's name, or for the colour also "generation"
    // or "none". Saved with the session so that a reopened run looks as it was left.
    struct PlotView {
        std::string x = "energy", y = "memory", color = "generation";
        bool showDominated = true;
        bool operator==(const PlotView &o) const
        {
            return x == o.x && y == o.y && color == o.color && showDominated == o.showDominated;
        }
    };
    struct Event {
        enum Kind {
            Cleared,      // a new run: no points, pins or selection
            PointsAdded,  // a batch joined; index: the first new id
            PointPinned,  // index: the point
            WhatIfPinned, // index: into whatIfPins()
            Selected,     // index: the point
            ShownChanged, // the configuration on show has new figures
            ViewChanged,  // the axes were loaded from a session
        } kind;
        int index = -1;
    };
    using Observer = std::function<void(const Event &)>;

    // Observers are told of every change, in the order they were added.
    void observe(Observer o) { observers_.push_back(std::move(o)); }

    // The run's objectives, all minimized: dominance is judged in these, with a missing accuracy taken as
    // 0 error (a run without accuracy has no error to weigh). Energy and memory until a run says.
    void setObjectives(std::vector<search::Objective> objectives) { objectives_ = std::move(objectives); }
    const std::vector<search::Objective> &objectives() const { return objectives_; }

    // Forgets the points, pins, selection and what-if of the run shown (a new run is about to fill it).
    void clear();
    // Appends a batch in evaluation order (ids are indices) and updates the front. An infeasible point is
    // dominated; so is a configuration evaluated again (the front counts each configuration once), while
    // another configuration with a member's objective values joins it, as in the run's front.csv; a point
    // that dominates front members takes their place.
    void addBatch(const std::vector<search::EvaluatedIndividual> &batch);

    const std::vector<search::EvaluatedIndividual> &points() const { return points_; }
    bool isDominated(int id) const { return dominated_.at(static_cast<size_t>(id)); }
    // Ids of the points no other point dominates, in evaluation order.
    const std::vector<int> &front() const { return front_; }
    // The accuracy a point with these bits was measured at, if any point has them.
    std::optional<double> knownAccuracy(const BitConfig &bits) const;

    // Selects a point (false, and nothing changes, for an id that is not one); forgets a what-if edit,
    // which spoke of the point selected before.
    bool select(int id);
    int selected() const { return selected_; }
    // An edited configuration was asked for: the next pin pins it once its figures are shown.
    void setWhatIf(BitConfig bits) { whatIf_ = std::move(bits); }
    const std::optional<BitConfig> &whatIf() const { return whatIf_; }

    // The configuration shown in the layer table: the selected point, a what-if edit or a pinned what-if.
    void setShown(BitConfig bits, search::CandidateCost cost, NetworkMapping mappings);
    void setShownAccuracy(double accuracy); // measured on demand for what is shown
    const BitConfig &shownBits() const { return shownBits_; }
    const std::optional<search::CandidateCost> &shownCost() const { return shownCost_; }
    const NetworkMapping &shownMappings() const { return shownMappings_; }

    enum class PinResult { NothingSelected, Pinned, AlreadyPinned, WhatIfPending };
    // Pins what is shown for the selection: the point, or after a what-if edit the edited configuration
    // with its cost (WhatIfPending until its figures are in). A pin is never held twice.
    PinResult pinSelection();
    bool pinPoint(int id);                                                    // false: not a point, or pinned
    bool pinWhatIf(const BitConfig &bits, const search::CandidateCost &cost); // false: pinned already
    const std::vector<int> &pinnedPoints() const { return pinned_; }
    const std::vector<WhatIfPin> &whatIfPins() const { return whatIfPins_; }
    bool isPinned(int id) const;

    void setView(const PlotView &v) { view_ = v; }
    const PlotView &view() const { return view_; }

    // Generations and evaluations: the run's limits (from its arguments; 0: none) and the last generation
    // reported (-1: none yet) with the evaluations done by then.
    void setMaxGenerations(int n) { maxGenerations_ = n; }
    int maxGenerations() const { return maxGenerations_; }
    void setMaxEvaluations(long long n) { maxEvaluations_ = n; }
    long long maxEvaluations() const { return maxEvaluations_; }
    void generationDone(int generation, long long evaluations)
    {
        lastGeneration_ = generation;
        evaluations_ = evaluations;
    }
    int lastGeneration() const { return lastGeneration_; }
    // Stopped before its last generation because its evaluation limit was reached: continuing it needs a
    // higher limit, since the same rule stops it again at once.
    bool endedAtEvaluationLimit() const
    {
        return beforeLastGeneration() && maxEvaluations_ > 0 && evaluations_ >= maxEvaluations_;
    }
    // A reopened run that stopped before its last generation (and not by its evaluation limit) can be
    // continued; so can one stopped before its first (nothing stored but its setup, and perhaps the
    // fine-tuning state of a candidate it was evaluating).
    bool unfinished() const { return beforeLastGeneration() && !endedAtEvaluationLimit(); }

    // session.json in the run folder: the pins, pinned what-ifs, selection and axes. saveSession throws
    // on a folder it cannot write. loadSession takes what is valid for the points held (pins of existing
    // points, what-ifs of the run's layer count and widths 1..32, a known axis) and leaves the rest, so a
    // damaged or foreign file costs only its damaged entries; false when there is no readable session.
    void saveSession(const std::string &runDirectory) const;
    bool loadSession(const std::string &runDirectory);
    std::string sessionJson() const;
    bool loadSessionJson(const std::string &text);

private:
    void notify(Event::Kind kind, int index = -1);
    bool beforeLastGeneration() const { return lastGeneration_ < maxGenerations_; }
    std::vector<double> objectiveValues(const search::EvaluatedIndividual &e) const;

    std::vector<Observer> observers_;
    std::vector<search::Objective> objectives_ = {search::Objective::Energy, search::Objective::Memory};
    std::vector<search::EvaluatedIndividual> points_;
    std::vector<bool> dominated_;
    std::vector<int> front_;
    std::vector<int> pinned_;
    std::vector<WhatIfPin> whatIfPins_;
    std::optional<BitConfig> whatIf_;
    int selected_ = -1;
    BitConfig shownBits_;
    std::optional<search::CandidateCost> shownCost_;
    NetworkMapping shownMappings_;
    PlotView view_;
    int maxGenerations_ = 0;
    int lastGeneration_ = -1;
    long long maxEvaluations_ = 0;
    long long evaluations_ = 0;
};

} // namespace bitloop::gui
