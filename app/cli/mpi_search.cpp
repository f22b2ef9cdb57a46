#include "mpi_search.h"

#include "commands.h"
#include "search_lifecycle.h"

#include "search/question_io.h"
#include "util/error.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace bitloop::cli
{

namespace
{

using namespace search;

enum Tag : int {
    kQuestion = 1, // rank 0 -> worker: one question
    kAnswer = 2,   // worker -> rank 0: its answer
    kFailure = 3,  // worker -> rank 0: the question could not be answered (the message)
    kStop = 4,     // rank 0 -> worker: no more questions
    kHello = 5,    // worker -> rank 0: "ok" or the reason it cannot work, with its host and evaluator
};

void sendText(int to, int tag, const std::string &text)
{
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// The next message from `from` (any rank with MPI_ANY_SOURCE): its text; source and tag set.
std::string receiveText(int from, int &source, int &tag)
{
    // Polled, not MPI_Probe: Open MPI's blocking probe spins a core, which on a node with as many ranks
    // as cores takes it from the rank doing the work. A short spin keeps the latency of quick answers low.
    MPI_Status st;
    for (int tries = 0;; ++tries) {
        int arrived = 0;
        MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &st);
        if (arrived)
            break;
        if (tries > 200)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    int count = 0;
    MPI_Get_count(&st, MPI_CHAR, &count);
    std::string text(static_cast<size_t>(count), '\0');
    MPI_Recv(text.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    source = st.MPI_SOURCE;
    tag = st.MPI_TAG;
    return text;
}

void broadcastText(std::string &text)
{
    long long n = static_cast<long long>(text.size());
    MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    text.resize(static_cast<size_t>(n));
    MPI_Bcast(text.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
}

std::string hostName()
{
    char h[256] = {};
    gethostname(h, sizeof h - 1);
    return h;
}

// Arguments as one text (NUL-separated: arguments may hold spaces), and back.
std::string joinArguments(const std::vector<std::string> &a)
{
    std::string s;
    for (const std::string &x : a)
        s += x + '\0';
    return s;
}
std::vector<std::string> splitArguments(const std::string &s)
{
    std::vector<std::string> out;
    for (size_t at = 0; at < s.size();) {
        const size_t end = s.find('\0', at);
        out.push_back(s.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// Stores answers in the problem's on-disk caches on a thread of its own, in the order given.
class DiskWriter
{
public:
    explicit DiskWriter(CodesignProblem &p) : problem_(p), thread_([this] { run(); }) {}
    ~DiskWriter() { finish(); }
    void add(const Question &q, Answer a)
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.emplace_back(q, std::move(a));
        }
        wake_.notify_one();
    }
    // Waits until everything added is stored.
    void finish()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable())
            thread_.join();
    }

private:
    void run()
    {
        std::unique_lock<std::mutex> lock(mutex_);
        while (true) {
            wake_.wait(lock, [this] { return done_ || !queue_.empty(); });
            if (queue_.empty())
                return;
            auto item = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            problem_.storeOnDisk(item.first, item.second); // the caches report their own failures
            lock.lock();
        }
    }
    CodesignProblem &problem_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::pair<Question, Answer>> queue_;
    bool done_ = false;
    std::thread thread_;
};

// Rank 0's evaluator: the generation's open questions go to the other ranks from a queue, one question per
// rank at a time (accuracy questions, the long ones, first); the answers are remembered; then the
// problem costs the generation from its memory.
class MpiEvaluator : public CandidateEvaluator
{
public:
    MpiEvaluator(CodesignProblem &problem, int ranks) : problem_(problem), ranks_(ranks) {}

    std::vector<CandidateCost> costs(const std::vector<BitConfig> &configs,
                                     const std::atomic<bool> *cancel) override
    {
        const std::vector<Question> questions = problem_.openQuestions(configs);
        // Answers reach the on-disk caches from a thread of their own: a store (a SQLite transaction) would
        // otherwise hold up the next question for every waiting rank.
        DiskWriter writer(problem_);
        std::vector<long long> asked(static_cast<size_t>(ranks_), -1); // the question each rank works on
        size_t next = 0, answered = 0, busy = 0;
        while (answered < questions.size()) {
            const bool stopping = cancel && cancel->load();
            auto t0 = std::chrono::steady_clock::now();
            for (int r = 1; r < ranks_ && next < questions.size() && !stopping; ++r)
                if (asked[static_cast<size_t>(r)] < 0) {
                    sendText(r, kQuestion, encodeQuestion(questions[next]));
                    asked[static_cast<size_t>(r)] = static_cast<long long>(next++);
                    ++busy;
                }
            handlingSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (busy == 0) // cancelled: what was asked is in; the rest is not asked
                break;
            int source = 0, tag = 0;
            const std::string text = receiveText(MPI_ANY_SOURCE, source, tag);
            t0 = std::chrono::steady_clock::now();
            const long long q = asked[static_cast<size_t>(source)];
            if (tag != kAnswer && tag != kFailure)
                throw std::runtime_error("rank " + std::to_string(source) + " sent an unexpected message");
            if (tag == kFailure || q < 0)
                throw std::runtime_error(tag == kFailure ? text
                                                         : "rank " + std::to_string(source) +
                                                               " answered a question it was not asked");
            const Question &question = questions[static_cast<size_t>(q)];
            Answer a;
            try {
                a = decodeAnswer(text, question, problem_.spec());
            } catch (const std::invalid_argument &e) {
                throw std::runtime_error("rank " + std::to_string(source) + "'s answer: " + e.what());
            }
            problem_.remember(question, a, false);
            writer.add(question, std::move(a));
            asked[static_cast<size_t>(source)] = -1;
            --busy;
            ++answered;
            questionsAnswered_++;
            handlingSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        writer.finish();
        return problem_.costs(configs, cancel);
    }

    // Tells every rank there is no more work (all answers are in).
    void stop()
    {
        for (int r = 1; r < ranks_; ++r)
            sendText(r, kStop, {});
    }
    long long questionsAnswered() const { return questionsAnswered_; }
    // Rank 0's own time on the questions (sending, checking and storing answers; not waiting): the serial
    // part that bounds how many ranks a search can keep busy (docs/scaling.md).
    double handlingSeconds() const { return handlingSeconds_; }

private:
    CodesignProblem &problem_;
    int ranks_;
    long long questionsAnswered_ = 0;
    double handlingSeconds_ = 0;
};

// A worker rank: open the evaluator as rank 0's arguments say (no on-disk caches: rank 0 keeps them), say
// whether that worked, then answer questions until told to stop.
int runWorker(int rank)
{
    std::string arguments;
    broadcastText(arguments);
    if (arguments.empty()) // rank 0 could not set the search up, and said why
        return 2;
    std::string hello;
    std::unique_ptr<SearchSetup> setup;
    std::unique_ptr<CodesignProblem> problem;
    try {
        const std::vector<std::string> argv = splitArguments(arguments);
        const Args args(argv, searchValued(), searchFlags());
        setup = std::make_unique<SearchSetup>(buildSearch(args, false));
        problem = std::make_unique<CodesignProblem>(setup->spec, setup->accuracy, nullptr);
        hello = "ok\n" + (setup->accuracy ? setup->accuracy->context() : std::string());
    } catch (const std::exception &e) {
        // A relative path names a file on this rank's disk: say where it was looked for.
        std::error_code ec;
        const std::string cwd = std::filesystem::current_path(ec).string();
        hello = std::string("error\n") + (ec ? "" : "(in " + cwd + ") ") + e.what();
    }
    sendText(0, kHello, hostName() + "\n" + hello);
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go)
        return 2;
    while (true) {
        int source = 0, tag = 0;
        const std::string text = receiveText(0, source, tag);
        if (tag == kStop)
            return 0;
        try {
            const Question q = decodeQuestion(text, setup->spec);
            sendText(0, kAnswer, encodeAnswer(q, problem->solve(q)));
        } catch (const std::exception &e) {
            sendText(0, kFailure, "rank " + std::to_string(rank) + " on " + hostName() + ": " + e.what());
        }
    }
}

// Rank 0: set the search up, hear from every worker, then run it with the MPI evaluator.
int runRankZero(const std::vector<std::string> &given, int ranks)
{
    std::string arguments;
    std::optional<OpenedSearch> opened;
    std::string failure;
    const std::string whenTaken = "continue it with --resume DIR or choose another --out";
    // Everything that can refuse the run is checked before the workers open anything; settings.yaml is
    // written only once every rank is ready.
    const int setupStatus = runGuarded("search", [&] {
        opened = openSearch(given, whenTaken, false);
        return 0;
    });
    if (setupStatus == 0)
        arguments = joinArguments(opened->arguments);
    broadcastText(arguments);
    if (setupStatus != 0)
        return setupStatus;
    const std::string context = opened->setup->accuracy ? opened->setup->accuracy->context() : std::string();
    std::vector<std::string> problems;
    for (int r = 1; r < ranks; ++r) {
        int source = 0, tag = 0;
        const std::string text = receiveText(r, source, tag);
        std::istringstream in(text);
        std::string host, status;
        std::getline(in, host);
        std::getline(in, status);
        std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string who = "rank " + std::to_string(r) + " on " + host + ": ";
        if (status != "ok")
            problems.push_back(who + rest);
        else if (rest != context)
            problems.push_back(who + "its checkpoint, dataset or evaluator settings differ from rank 0's "
                                     "(the same paths must hold the same files on every node)");
    }
    int go = problems.empty() ? 1 : 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (const std::string &p : problems)
        std::cerr << "bitloop-cli search: " << p << "\n";
    if (!go)
        return 2;
    MpiEvaluator evaluator(opened->problem ? *opened->problem : throw std::logic_error("no problem"), ranks);
    const int status = runGuarded("search", [&] {
        openRunDirectory(*opened);
        return runAndReport(*opened, &evaluator, ranks);
    });
    if (status != 0) // a rank may be mid-question: end the job as MPI does
        MPI_Abort(MPI_COMM_WORLD, status);
    std::printf("MPI: %lld questions answered by %d ranks; rank 0 handled them in %.2f s (%.3f ms each)\n",
                evaluator.questionsAnswered(), ranks - 1, evaluator.handlingSeconds(),
                evaluator.questionsAnswered()
                    ? 1e3 * evaluator.handlingSeconds() / double(evaluator.questionsAnswered())
                    : 0.0);
    evaluator.stop();
    return status;
}

} // namespace

int runSearchMpi(const std::vector<std::string> &given)
{
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    int status = 0;
    if (ranks == 1)
        status = runGuarded("search", [&] { return runSearchHere(given); });
    else if (rank == 0)
        status = runRankZero(given, ranks);
    else
        status = runWorker(rank);
    MPI_Finalize();
    return status;
}

} // namespace bitloop::cli
