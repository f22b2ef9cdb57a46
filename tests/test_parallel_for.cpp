// The one thread pool (util/parallel_for.h): every item runs exactly once whatever the thread count,
// the threads balance uneven items, a stop ends the hand-out, and a body's exception reaches the caller
// after every thread has finished.
#include "util/parallel_for.h"

#include <QtTest>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace bitloop;

class TestParallelFor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyItemOnceWhateverTheThreads()
    {
        for (int threads : {1, 2, 3, 8, 100}) {
            std::vector<std::atomic<int>> runs(257);
            std::set<int> workers;
            std::mutex m;
            parallelFor(runs.size(), threads, [&](size_t i, int w) {
                ++runs[i];
                std::lock_guard<std::mutex> lock(m);
                workers.insert(w);
            });
            for (const auto &r : runs)
                QCOMPARE(r.load(), 1);
            QVERIFY(*workers.begin() >= 0 && *workers.rbegin() < std::min(threads, 257));
        }
        parallelFor(0, 4, [](size_t, int) { QFAIL("no items, no calls"); });
    }

    // One slow item does not hold up the others: with 2 threads, the other thread takes every quick item.
    void slowAndFastItemsBalance()
    {
        std::vector<int> by(20, -1);
        parallelFor(by.size(), 2, [&](size_t i, int w) {
            if (i == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
            by[i] = w;
        });
        int other = 0;
        for (size_t i = 1; i < by.size(); ++i)
            other += by[i] != by[0];
        QVERIFY2(other >= 15, qPrintable(QString::number(other)));
    }

    void stopEndsTheHandOut()
    {
        std::atomic<int> ran{0};
        parallelFor(
            1000, 1, [&](size_t, int) { ++ran; }, [&] { return ran.load() >= 10; });
        QCOMPARE(ran.load(), 10);
    }

    // Items take 5 ms each, so the other two threads would need about a quarter of a second to run the
    // remaining 94: the failing one records its failure long before, even on a loaded machine (with
    // instant items a descheduled thrower let the others finish all 100 under CI's load).
    void theFirstExceptionReachesTheCaller()
    {
        std::atomic<int> ran{0};
        try {
            parallelFor(100, 3, [&](size_t i, int) {
                ++ran;
                if (i == 5)
                    throw std::runtime_error("item 5 failed");
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            });
            QFAIL("no exception");
        } catch (const std::runtime_error &e) {
            QCOMPARE(QString(e.what()), QString("item 5 failed"));
        }
        QVERIFY(ran.load() < 100); // the hand-out ended
    }
};

QTEST_APPLESS_MAIN(TestParallelFor)
#include "test_parallel_for.moc"
