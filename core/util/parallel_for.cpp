#include "util/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace bitloop
{

void parallelFor(size_t n, int threads, const std::function<void(size_t, int)> &body,
                 const std::function<bool()> &stop)
{
    if (n == 0)
        return;
    const int t =
        std::max(1, static_cast<int>(std::min<size_t>(n, static_cast<size_t>(std::max(threads, 1)))));
    std::atomic<size_t> next{0};
    std::atomic<bool> over{false};
    std::exception_ptr failure;
    std::mutex failureMutex;
    auto worker = [&](int w) {
        while (!over.load()) {
            const size_t i = next.fetch_add(1);
            if (i >= n)
                return;
            if (stop && stop()) {
                over = true;
                return;
            }
            try {
                body(i, w);
            } catch (...) {
                std::lock_guard<std::mutex> lock(failureMutex);
                if (!failure)
                    failure = std::current_exception();
                over = true;
                return;
            }
        }
    };
    std::vector<std::thread> pool;
    for (int k = 1; k < t; ++k)
        pool.emplace_back(worker, k);
    worker(0);
    for (std::thread &th : pool)
        th.join();
    if (failure)
        std::rethrow_exception(failure);
}

} // namespace bitloop
