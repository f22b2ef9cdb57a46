// The explorer's model without a window: the front it keeps as batches arrive (a newcomer that beats
// front members, equal objectives, infeasible points, a missing accuracy), pins and what-if pins, the
// selection forgetting a what-if edit, and session.json saved, reloaded, written by an earlier version
// and damaged. Every figure is worked out by hand in the comments.
#include "explorer_model.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace bitloop;
using namespace bitloop::gui;
using search::Objective;

namespace
{

// A two-layer point: energy in µJ (stored in pJ), weight bytes, accuracy (-1: not measured).
search::EvaluatedIndividual point(double energyUj, int64_t bytes, BitConfig bits = {{8, 8}, {8, 8}},
                                  double accuracy = -1.0, double violation = 0.0)
{
    search::EvaluatedIndividual e;
    e.bits = std::move(bits);
    e.cost.energyPj = energyUj * 1e6;
    e.cost.weightBytes = bytes;
    e.cost.cycles = 1000;
    e.cost.accuracy = accuracy;
    e.violation = violation;
    return e;
}

std::vector<bool> dominatedFlags(const ExplorerModel &m)
{
    std::vector<bool> d;
    for (int i = 0; i < static_cast<int>(m.points().size()); ++i)
        d.push_back(m.isDominated(i));
    return d;
}

// Eight points of a two-layer network, ids 0..7, distinct bits.
std::vector<search::EvaluatedIndividual> eightPoints()
{
    std::vector<search::EvaluatedIndividual> v;
    for (int i = 0; i < 8; ++i)
        v.push_back(point(10.0 + i, 1000 - 10 * i, {{2 + i % 4, 8}, {8, 2 + i / 4}}));
    return v;
}

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
}

} // namespace

class TestExplorerModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void frontFollowsTheBatches()
    {
        ExplorerModel m; // energy and memory until a run says otherwise
        std::vector<ExplorerModel::Event> events;
        m.observe([&](const ExplorerModel::Event &e) { events.push_back(e); });
        m.addBatch({
            point(100, 1000),                         // 0: front
            point(50, 2000, {{4, 8}, {8, 8}}),        // 1: front (less energy, more memory than 0)
            point(100, 1000, {{8, 4}, {8, 8}}),       // 2: 0's objectives with other bits: an answer too
            point(80, 3000, {{4, 4}, {8, 8}}),        // 3: 1 has less of both
            point(1, 1, {{2, 2}, {2, 2}}, -1.0, 0.5), // 4: the best figures, but infeasible
            point(100, 1000),                         // 5: 0 evaluated again: the front counts it once
        });
        // As the run's front.csv (search::ParetoArchive): distinct configurations, equal objectives kept.
        QCOMPARE(m.front(), (std::vector<int>{0, 1, 2}));
        QCOMPARE(dominatedFlags(m), (std::vector<bool>{false, false, false, true, true, true}));
        m.addBatch({
            point(40, 900, {{2, 8}, {8, 8}}),  // 6: beats 0 and 2 (100, 1000) and 1 (50, 2000): they leave
            point(30, 5000, {{8, 2}, {8, 8}}), // 7: less energy than 6, more memory: joins
            point(40, 900, {{2, 8}, {4, 8}}),  // 8: 6's objectives, other bits: joins
            point(40, 900, {{2, 8}, {8, 8}}),  // 9: 6 again: counted once
        });
        QCOMPARE(m.front(), (std::vector<int>{6, 7, 8}));
        QCOMPARE(dominatedFlags(m),
                 (std::vector<bool>{true, true, true, true, true, true, false, false, false, true}));
        QCOMPARE(m.points().size(), size_t(10));
        QCOMPARE(events.size(), size_t(2));
        QCOMPARE(events[0].kind, ExplorerModel::Event::PointsAdded);
        QCOMPARE(events[1].index, 6); // the first id of the second batch
        m.addBatch({});
        QCOMPARE(events.size(), size_t(2)); // nothing joined, nothing to tell
    }

    void aMissingAccuracyCountsAsNoError()
    {
        ExplorerModel m;
        m.setObjectives({Objective::Error, Objective::Energy});
        m.addBatch({
            point(10, 0, {{8, 8}, {8, 8}}),       // 0: error taken as 0 at 10 µJ
            point(5, 0, {{4, 4}, {8, 8}}, 0.9),   // 1: error 0.1 at 5 µJ: neither beats the other
            point(10, 0, {{6, 6}, {8, 8}}, 1.0),  // 2: error 0 at 10 µJ, as 0 with other bits: both stay
            point(12, 0, {{5, 5}, {8, 8}}, 0.95), // 3: error 0.05 at 12 µJ: 0 is better at both
        });
        QCOMPARE(m.front(), (std::vector<int>{0, 1, 2}));
        QCOMPARE(dominatedFlags(m), (std::vector<bool>{false, false, false, true}));
        // On the plot an unmeasured error has no place; measured figures are the cost's own.
        QVERIFY(std::isnan(plotValue(m.points()[0], Objective::Error)));
        QCOMPARE(plotValue(m.points()[3], Objective::Error), 1.0 - 0.95);
        QCOMPARE(plotValue(m.points()[1], Objective::Energy), 5.0);
        QCOMPARE(m.knownAccuracy(BitConfig{{4, 4}, {8, 8}}).value_or(-2), 0.9);
        QVERIFY(!m.knownAccuracy(BitConfig{{8, 8}, {8, 8}})); // stored, but not measured
        QVERIFY(!m.knownAccuracy(BitConfig{{3, 3}, {8, 8}}));
    }

    void pinsAndWhatIfPinsAreHeldOnce()
    {
        ExplorerModel m;
        m.addBatch(eightPoints());
        std::vector<ExplorerModel::Event> events;
        m.observe([&](const ExplorerModel::Event &e) { events.push_back(e); });
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::NothingSelected);
        QVERIFY(m.pinPoint(1));
        QVERIFY(!m.pinPoint(1));
        QVERIFY(!m.pinPoint(8)); // one past the last id
        QVERIFY(!m.pinPoint(-1));
        QVERIFY(m.select(3));
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::Pinned);
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::AlreadyPinned);
        QCOMPARE(m.pinnedPoints(), (std::vector<int>{1, 3}));
        QVERIFY(m.isPinned(3) && !m.isPinned(0));

        // A what-if edit of point 0: the pin waits for the edit's figures, then holds the edit, not point 0.
        QVERIFY(m.select(0));
        const BitConfig edited{{3, 8}, {8, 6}};
        m.setWhatIf(edited);
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::WhatIfPending);
        search::CandidateCost original = m.points()[0].cost;
        m.setShown(m.points()[0].bits, original, {}); // the point's own figures arrive first
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::WhatIfPending);
        search::CandidateCost cost;
        cost.energyPj = 7654321.5;
        cost.cycles = 4321;
        cost.weightBytes = 777;
        m.setShown(edited, cost, {});
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::Pinned);
        QCOMPARE(m.whatIfPins().size(), size_t(1));
        QVERIFY(m.whatIfPins()[0].bits == edited);
        QCOMPARE(m.whatIfPins()[0].cost.energyPj, 7654321.5);
        QCOMPARE(m.whatIfPins()[0].cost.cycles, int64_t(4321));
        QCOMPARE(m.whatIfPins()[0].cost.weightBytes, int64_t(777));
        QCOMPARE(m.pinnedPoints(), (std::vector<int>{1, 3})); // point 0 itself is not pinned
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::AlreadyPinned);
        QVERIFY(!m.pinWhatIf(edited, original)); // the same widths with other figures: still one pin
        QCOMPARE(m.whatIfPins().size(), size_t(1));

        // Selecting another point forgets the edit: the next pin is that point.
        QVERIFY(m.select(2));
        QVERIFY(!m.whatIf());
        QCOMPARE(m.pinSelection(), ExplorerModel::PinResult::Pinned);
        QCOMPARE(m.pinnedPoints(), (std::vector<int>{1, 3, 2}));
        QVERIFY(!m.select(8));
        QCOMPARE(m.selected(), 2);

        // What the window was told, in order: pins of 1 and 3, selections, the edit's two figures, the
        // what-if pin, the selection of 2 and its pin.
        std::vector<std::pair<int, int>> seen;
        for (const auto &e : events)
            seen.emplace_back(e.kind, e.index);
        using E = ExplorerModel::Event;
        QCOMPARE(seen, (std::vector<std::pair<int, int>>{{E::PointPinned, 1},
                                                         {E::Selected, 3},
                                                         {E::PointPinned, 3},
                                                         {E::Selected, 0},
                                                         {E::ShownChanged, -1},
                                                         {E::ShownChanged, -1},
                                                         {E::WhatIfPinned, 0},
                                                         {E::Selected, 2},
                                                         {E::PointPinned, 2}}));
    }

    void clearForgetsTheRun()
    {
        ExplorerModel m;
        m.addBatch(eightPoints());
        m.pinPoint(4);
        m.select(4);
        m.setWhatIf({{2, 2}, {2, 2}});
        NetworkMapping shownMapping;
        shownMapping.layers.resize(2);
        m.setShown({{2, 2}, {2, 2}}, m.points()[4].cost, shownMapping);
        m.setMaxGenerations(5);
        m.generationDone(3, 32);
        QVERIFY(m.unfinished());
        int cleared = 0;
        m.observe([&](const ExplorerModel::Event &e) { cleared += e.kind == ExplorerModel::Event::Cleared; });
        m.clear();
        QCOMPARE(cleared, 1);
        QVERIFY(m.points().empty() && m.front().empty() && m.pinnedPoints().empty() &&
                m.whatIfPins().empty());
        QCOMPARE(m.selected(), -1);
        QVERIFY(!m.whatIf());
        QVERIFY(m.shownBits().empty() && !m.shownCost() && m.shownMappings().layers.empty());
        QCOMPARE(m.lastGeneration(), -1);
        QCOMPARE(m.maxGenerations(), 5); // the run's length is the controller's to say again
        QVERIFY(m.unfinished());         // a run opened with no generation stored: stopped before its first
        m.generationDone(5, 48);
        QVERIFY(!m.unfinished()); // the last generation reached
        // Stopped at generation 3 by --max-evaluations 32: not to be continued as it is.
        m.setMaxEvaluations(32);
        m.generationDone(3, 32);
        QVERIFY(m.endedAtEvaluationLimit() && !m.unfinished());
        m.setMaxEvaluations(40); // a higher limit than it reached
        QVERIFY(!m.endedAtEvaluationLimit() && m.unfinished());
        m.generationDone(5, 48);
        QVERIFY(!m.endedAtEvaluationLimit()); // it reached its last generation: not the limit that ended it
    }

    void sessionRoundTrip()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ExplorerModel m;
        m.addBatch(eightPoints());
        m.pinPoint(3);
        m.pinPoint(1);
        search::CandidateCost cost;
        cost.energyPj = 123456.789;
        cost.cycles = 98765;
        cost.weightBytes = 4321;
        cost.accuracy = 0.8125;
        m.pinWhatIf({{3, 5}, {6, 7}}, cost);
        m.select(5);
        m.setView({"error", "cycles", "none", false});
        m.saveSession(dir.path().toStdString());

        ExplorerModel again;
        again.addBatch(eightPoints());
        std::vector<ExplorerModel::Event> events;
        again.observe([&](const ExplorerModel::Event &e) { events.push_back(e); });
        QVERIFY(again.loadSession(dir.path().toStdString()));
        QCOMPARE(again.pinnedPoints(), (std::vector<int>{3, 1}));
        QCOMPARE(again.whatIfPins().size(), size_t(1));
        const auto &w = again.whatIfPins()[0];
        QVERIFY(w.bits == (BitConfig{{3, 5}, {6, 7}}));
        QCOMPARE(w.cost.energyPj, 123456.789); // exact: the file keeps 17 digits
        QCOMPARE(w.cost.cycles, int64_t(98765));
        QCOMPARE(w.cost.weightBytes, int64_t(4321));
        QCOMPARE(w.cost.accuracy, 0.8125);
        QCOMPARE(again.selected(), 5);
        QVERIFY(again.view() == (ExplorerModel::PlotView{"error", "cycles", "none", false}));
        QCOMPARE(events.front().kind, ExplorerModel::Event::ViewChanged);
        QCOMPARE(events.back().kind, ExplorerModel::Event::Selected);
        QCOMPARE(events.back().index, 5);
        // No session: nothing read, nothing changed.
        QTemporaryDir empty;
        ExplorerModel fresh;
        QVERIFY(!fresh.loadSession(empty.path().toStdString()));
        QCOMPARE(fresh.selected(), -1);
    }

    // A session.json as the explorer wrote it with Qt's JSON classes (indented, counts as doubles) reads.
    void earlierSessionFilesRead()
    {
        QTemporaryDir dir;
        QJsonObject s;
        s["pinned"] = QJsonArray{2, 7};
        QJsonObject w;
        w["bits"] = "4/8 2/8";
        w["energy_pj"] = 264817.5;
        w["cycles"] = 1.5e6;
        w["weight_bytes"] = 2048.0;
        w["accuracy"] = -1.0;
        s["pinned_what_ifs"] = QJsonArray{w};
        s["selected"] = 7;
        s["x"] = "energy";
        s["y"] = "error";
        s["color"] = "generation";
        s["show_dominated"] = true;
        QVERIFY(writeFile(dir.filePath("session.json"), QJsonDocument(s).toJson()));
        ExplorerModel m;
        m.addBatch(eightPoints());
        QVERIFY(m.loadSession(dir.path().toStdString()));
        QCOMPARE(m.pinnedPoints(), (std::vector<int>{2, 7}));
        QCOMPARE(m.whatIfPins().size(), size_t(1));
        QVERIFY(m.whatIfPins()[0].bits == (BitConfig{{4, 8}, {2, 8}}));
        QCOMPARE(m.whatIfPins()[0].cost.cycles, int64_t(1500000));
        QCOMPARE(m.whatIfPins()[0].cost.energyPj, 264817.5);
        QCOMPARE(m.whatIfPins()[0].cost.accuracy, -1.0);
        QCOMPARE(m.selected(), 7);
        QCOMPARE(m.view().y, std::string("error"));
    }

    void damagedSessionLoadsWhatIsValid()
    {
        ExplorerModel m;
        m.addBatch(eightPoints()); // ids 0..7, two layers
        // Not JSON at all, truncated, or not an object: nothing read, nothing changed.
        for (const char *text : {"\x01\x02 garbage {{{", "{\"pinned\": [1, 2", "[1, 2, 3]", "", "42"})
            QVERIFY2(!m.loadSessionJson(text), text);
        QVERIFY(m.pinnedPoints().empty() && m.whatIfPins().empty());
        QCOMPARE(m.selected(), -1);
        QVERIFY(m.view() == ExplorerModel::PlotView{});

        const char *damaged = R"({
          "pinned": [2, 99, -1, "x", 2.5, 2, 0, [4], 8],
          "pinned_what_ifs": [
            {"bits": "4/8", "energy_pj": 1, "cycles": 1, "weight_bytes": 1},
            {"bits": "4/8 40/8", "energy_pj": 1, "cycles": 1, "weight_bytes": 1},
            {"bits": "4/8 0/8", "energy_pj": 1, "cycles": 1, "weight_bytes": 1},
            {"bits": "4/8 2/x", "energy_pj": 1, "cycles": 1, "weight_bytes": 1},
            {"bits": "4/8 2/8/3", "energy_pj": 1, "cycles": 1, "weight_bytes": 1},
            {"bits": "4/8 2/8 2/8", "energy_pj": 1, "cycles": 1, "weight_bytes": 1},
            {"bits": "3/5 6/7", "energy_pj": "lots", "cycles": 1, "weight_bytes": 1},
            {"bits": "3/5 6/7", "energy_pj": 1, "cycles": -5, "weight_bytes": 1},
            {"bits": "3/5 6/7", "energy_pj": 1, "cycles": 1e300, "weight_bytes": 1},
            "a string",
            {"bits": "3/5 6/7", "energy_pj": 5e6, "cycles": 100, "weight_bytes": 64, "accuracy": 0.5},
            {"bits": "3/5 6/7", "energy_pj": 6e6, "cycles": 100, "weight_bytes": 64, "accuracy": 0.5},
            {"bits": "2/2 2/2", "energy_pj": 1e6, "cycles": 10, "weight_bytes": 8, "accuracy": 7}
          ],
          "selected": 42,
          "x": "bogus", "y": "cycles", "color": 7, "show_dominated": "maybe"
        })";
        QVERIFY(m.loadSessionJson(damaged));
        // Pins: 2 and 0 (2 once; 99, 8 and -1 are no points; "x", 2.5 and [4] are no ids).
        QCOMPARE(m.pinnedPoints(), (std::vector<int>{2, 0}));
        // What-ifs: the first whole entry of 3/5 6/7 and the 2/2 2/2 one with its impossible accuracy
        // dropped to "not measured".
        QCOMPARE(m.whatIfPins().size(), size_t(2));
        QVERIFY(m.whatIfPins()[0].bits == (BitConfig{{3, 5}, {6, 7}}));
        QCOMPARE(m.whatIfPins()[0].cost.energyPj, 5e6);
        QCOMPARE(m.whatIfPins()[0].cost.cycles, int64_t(100));
        QCOMPARE(m.whatIfPins()[0].cost.weightBytes, int64_t(64));
        QCOMPARE(m.whatIfPins()[0].cost.accuracy, 0.5);
        QVERIFY(m.whatIfPins()[1].bits == (BitConfig{{2, 2}, {2, 2}}));
        QCOMPARE(m.whatIfPins()[1].cost.accuracy, -1.0);
        QCOMPARE(m.selected(), -1);                  // 42 is past the end
        QCOMPARE(m.view().x, std::string("energy")); // unknown: unchanged
        QCOMPARE(m.view().y, std::string("cycles"));
        QCOMPARE(m.view().color, std::string("generation"));
        QCOMPARE(m.view().showDominated, true);

        // What-ifs of a run with no points yet have no layer count to match: none is taken.
        ExplorerModel empty;
        QVERIFY(empty.loadSessionJson(damaged));
        QVERIFY(empty.pinnedPoints().empty() && empty.whatIfPins().empty());
    }
};

QTEST_GUILESS_MAIN(TestExplorerModel)
#include "test_explorer_model.moc"
