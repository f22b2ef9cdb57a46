#include "search_controller.h"

#include "io/yaml_util.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>

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

void SearchController::start(const QStringList &arguments)
{
    if (busy_)
        return;
    if (worker_.joinable())
        worker_.join(); // the previous worker has ended (busy_ is false): this does not wait
    cancel_ = false;
    paused_ = false;
    busy_ = true;
    const bool replay = replay_;
    replay_ = true;
    worker_ = std::thread([this, arguments, replay] { runWorker(arguments, false, replay); });
}

void SearchController::open(const QString &dir)
{
    if (busy_)
        return;
    if (worker_.joinable())
        worker_.join();
    cancel_ = false;
    busy_ = true;
    worker_ = std::thread([this, dir] { runWorker({"--resume", dir}, true, true); });
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
        // The same path as the CLI: resolve --resume against the run's settings, build the setup.
        std::vector<std::string> argv = toStd(arguments);
        std::string dir;
        const auto resumeAt = std::find(argv.begin(), argv.end(), "--resume");
        const bool isResume = resumeAt != argv.end() && resumeAt + 1 != argv.end();
        if (isResume) {
            dir = *(resumeAt + 1);
            argv = cli::resumeArguments(argv, dir);
        } else {
            const cli::Args peek(argv, cli::searchValued(), cli::searchFlags());
            dir = peek.require("out");
        }
        const cli::Args args(argv, cli::searchValued(), cli::searchFlags());
        auto setup = std::make_shared<cli::SearchSetup>(cli::buildSearch(args));
        auto problem = std::make_shared<search::CodesignProblem>(setup->spec, setup->accuracy, setup->cache);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            setup_ = setup;
            problem_ = problem;
        }
        search::RunDirectory rd(dir);
        if (!isResume && rd.hasSettings()) // a fresh run into a directory that has one would mix them
            throw std::runtime_error(dir + " already holds a search: open it, or choose another folder");
        if (!rd.hasSettings())
            rd.writeSettings(cli::settingsYaml(argv, *setup));
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
        auto postMutex = std::make_shared<std::mutex>();
        problem->onWork = [this, lastPost, postMutex](const search::CodesignProblem::BatchProgress &b) {
            const bool done =
                (b.accuracyDone < 0 || b.accuracyDone == b.candidates) && b.mapperDone == b.mapperJobs;
            {
                std::lock_guard<std::mutex> lock(*postMutex);
                const auto now = std::chrono::steady_clock::now();
                if (!done && now - *lastPost < std::chrono::milliseconds(100))
                    return;
                *lastPost = now;
            }
            post([this, b] {
                Q_EMIT batchProgress(b.accuracyDone, b.candidates, b.mapperDone, b.mapperJobs);
            });
        };
        search::CodesignRun run(*problem, setup->settings, rd, &cancel_);
        run.onBatch = [this](const std::vector<search::EvaluatedIndividual> &batch) {
            post([this, batch] { Q_EMIT batchEvaluated(batch); });
        };
        const search::RunOutcome out = run.run(
            [this](const search::GenerationRecord &g, const search::Progress &p) {
                post([this, g, p] { Q_EMIT generationDone(g, p); });
            },
            &cancel_);
        yamlutil::writeFileAtomically(rd.file("front.json"), search::frontJson(setup->spec, run.front()));
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
