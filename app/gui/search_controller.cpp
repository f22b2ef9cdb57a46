#include "search_controller.h"

#include "search_lifecycle.h"

#include "io/yaml_util.h"
#include "search/run_dir.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <QMetaObject>

namespace bitloop::gui
{

namespace
{

std::vector<std::string> toStd(const QStringList &l)
{
    std::vector<std::string> v;
    for (const QString &s : l)
        v.push_back(s.toStdString());
    return v;
}

QStringList toQt(const std::vector<std::string> &v)
{
    QStringList l;
    for (const std::string &s : v)
        l << QString::fromStdString(s);
    return l;
}

} // namespace

SearchController::SearchController(QObject *parent) : QObject(parent) {}

SearchController::~SearchController()
{
    cancel_ = true;
    if (worker_.joinable())
        worker_.join();
}

std::shared_ptr<const cli::SearchSetup> SearchController::setup() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return setup_;
}

std::shared_ptr<search::CodesignProblem> SearchController::problem() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return problem_;
}

void SearchController::post(std::function<void()> f)
{
    QMetaObject::invokeMethod(this, std::move(f), Qt::QueuedConnection);
}

bool SearchController::launch(std::function<void()> work)
{
    if (busy_)
        return false;
    if (worker_.joinable())
        worker_.join(); // the previous worker has ended (busy_ is false): this does not wait
    cancel_ = false;
    busy_ = true;
    worker_ = std::thread(std::move(work));
    return true;
}

void SearchController::start(const QStringList &arguments)
{
    if (busy_)
        return;
    paused_ = false;
    const bool replay = replay_;
    replay_ = true;
    launch([this, arguments, replay] { runWorker(arguments, false, replay); });
}

void SearchController::open(const QString &dir)
{
    if (busy_)
        return;
    if (const auto writer = search::RunDirectory::writer(dir.toStdString())) {
        follow(dir, 1000, QString::fromStdString(*writer));
        return;
    }
    launch([this, dir] { runWorker({"--resume", dir}, true, true); });
}

void SearchController::follow(const QString &dir, int periodMs, const QString &writer)
{
    if (busy_)
        return;
    paused_ = false;
    following_ = true;
    launch([this, dir, periodMs, writer] { followWorker(dir, periodMs, writer); });
}

void SearchController::followWorker(QString qdir, int periodMs, QString writer)
{
    const std::string dir = qdir.toStdString();
    try {
        std::unique_ptr<search::RunDirectory> rd = search::RunDirectory::openToRead(dir);
        const std::vector<std::string> argv = search::readRunArguments(rd->file("settings.yaml"));
        // The details panes need the setup; the run's own files may live on another machine.
        std::shared_ptr<cli::SearchSetup> setup;
        std::shared_ptr<search::CodesignProblem> problem;
        QString why;
        try {
            const cli::Args args(argv, cli::searchValued(), cli::searchFlags());
            setup = std::make_shared<cli::SearchSetup>(cli::buildSearch(args));
            problem = std::make_shared<search::CodesignProblem>(setup->spec, setup->accuracy, setup->cache);
        } catch (const std::exception &e) {
            why = QString::fromUtf8(e.what());
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            setup_ = setup;
            problem_ = problem;
        }
        const QStringList qargs = toQt(argv);
        post([this, qdir, qargs, why, writer] {
            dir_ = qdir;
            arguments_ = qargs;
            Q_EMIT ready(qdir);
            if (!why.isEmpty())
                Q_EMIT detailsUnavailable(why);
            if (!writer.isEmpty())
                Q_EMIT beingWritten(writer);
        });
        size_t seenPoints = 0, seenGenerations = 0;
        while (!cancel_) {
            std::vector<search::EvaluatedIndividual> points;
            std::vector<search::GenerationRecord> generations;
            try {
                points = rd->individuals();
                generations = rd->generations();
            } catch (const std::runtime_error &) { // the writer holds its lock past the timeout: next time
            }
            // A resumed run drops the generation its kill interrupted: start over from what it holds.
            if (points.size() < seenPoints || generations.size() < seenGenerations) {
                seenPoints = seenGenerations = 0;
                post([this, qdir] { Q_EMIT ready(qdir); });
            }
            if (points.size() > seenPoints) {
                std::vector<search::EvaluatedIndividual> fresh(points.begin() + static_cast<long>(seenPoints),
                                                               points.end());
                post([this, fresh] { Q_EMIT batchEvaluated(fresh); });
                seenPoints = points.size();
            }
            for (size_t g = seenGenerations; g < generations.size(); ++g) {
                const search::GenerationRecord r = generations[g];
                search::Progress p;
                p.generation = r.generation;
                p.evaluations = r.evaluations;
                p.hypervolume = r.hypervolume;
                p.frontSize = r.frontSize;
                p.elapsedSeconds = r.elapsedSeconds;
                post([this, r, p] { Q_EMIT generationDone(r, p); });
            }
            seenGenerations = generations.size();
            for (int waited = 0; waited < periodMs && !cancel_; waited += 50)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        busy_ = false;
        following_ = false;
        post([this] { Q_EMIT finished(QStringLiteral("stopped following")); });
    } catch (const std::exception &e) {
        const QString msg = QString::fromUtf8(e.what());
        busy_ = false;
        following_ = false;
        post([this, msg] { Q_EMIT failed(msg); });
    }
}

void SearchController::stop()
{
    paused_ = false;
    cancel_ = true;
}

void SearchController::pause()
{
    if (!busy_)
        return;
    if (following_) { // another process runs it: pausing here only stops following
        stop();
        return;
    }
    paused_ = true;
    cancel_ = true;
}

void SearchController::resume()
{
    if (busy_ || dir_.isEmpty())
        return;
    replay_ = false; // the window already shows what this run stored
    start({"--resume", dir_});
}

void SearchController::runWorker(QStringList arguments, bool openOnly, bool replay)
{
    try {
        // The same run lifecycle as the CLI: resolve --resume, build the setup, open the run directory (to
        // write, taking its lock; only to read when it is only opened).
        cli::OpenedSearch opened =
            cli::openSearch(toStd(arguments), "open it, or choose another folder", !openOnly);
        if (openOnly)
            opened.run = search::RunDirectory::openToRead(opened.dir);
        auto setup = opened.setup;
        auto problem = opened.problem;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            setup_ = setup;
            problem_ = problem;
        }
        const std::string dir = opened.dir;
        const std::vector<std::string> argv = opened.arguments;
        search::RunDirectory &rd = *opened.run;
        // Only now, with everything checked, may the window let go of what it shows.
        const QString qdir = QString::fromStdString(dir);
        const QStringList qargs = toQt(argv);
        post([this, qdir, qargs] {
            dir_ = qdir;
            arguments_ = qargs;
            Q_EMIT ready(qdir);
        });
        // What is stored already (a reopened or resumed run): shown without recomputing.
        const auto stored = rd.individuals();
        const auto generations = rd.generations();
        if (replay && !stored.empty())
            post([this, stored, generations] {
                Q_EMIT batchEvaluated(stored);
                for (const auto &g : generations) {
                    search::Progress p;
                    p.generation = g.generation;
                    p.evaluations = g.evaluations;
                    p.hypervolume = g.hypervolume;
                    p.frontSize = g.frontSize;
                    p.elapsedSeconds = g.elapsedSeconds;
                    Q_EMIT generationDone(g, p);
                }
            });
        if (openOnly) {
            busy_ = false;
            post([this] { Q_EMIT finished(QStringLiteral("opened")); });
            return;
        }
        // Progress inside a generation, throttled: a Simba generation can take minutes.
        auto lastPost = std::make_shared<std::chrono::steady_clock::time_point>();
        auto lastShown = std::make_shared<search::CodesignProblem::BatchProgress>();
        auto postMutex = std::make_shared<std::mutex>();
        problem->onWork = [this, lastPost, lastShown,
                           postMutex](const search::CodesignProblem::BatchProgress &b) {
            const bool done =
                (b.accuracyDone < 0 || b.accuracyDone == b.candidates) && b.mapperDone == b.mapperJobs;
            {
                std::lock_guard<std::mutex> lock(*postMutex);
                const auto now = std::chrono::steady_clock::now();
                // A new candidate or phase is shown at once; counts within one, at most every 100 ms.
                if (!done && !search::candidateWorkChanged(*lastShown, b) &&
                    now - *lastPost < std::chrono::milliseconds(100))
                    return;
                *lastPost = now;
                *lastShown = b;
            }
            const QString work = QString::fromStdString(search::describeCandidateWork(b));
            post([this, b, work] {
                Q_EMIT batchProgress(b.accuracyDone, b.candidates, b.mapperDone, b.mapperJobs);
                Q_EMIT candidateWork(work);
            });
        };
        const search::RunOutcome out = cli::runOpenedSearch(
            opened,
            [this](const search::GenerationRecord &g, const search::Progress &p) {
                post([this, g, p] { Q_EMIT generationDone(g, p); });
            },
            [this](const std::vector<search::EvaluatedIndividual> &batch) {
                post([this, batch] { Q_EMIT batchEvaluated(batch); });
            },
            &cancel_);
        const QString reason = QString::fromUtf8(search::toString(out.reason));
        busy_ = false;
        post([this, reason] { Q_EMIT finished(paused_ ? QStringLiteral("paused") : reason); });
    } catch (const std::exception &e) {
        const QString msg = QString::fromUtf8(e.what());
        busy_ = false;
        post([this, msg] { Q_EMIT failed(msg); });
    }
}

} // namespace bitloop::gui
