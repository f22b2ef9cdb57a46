// The one thread pool: items handed out one at a time from a shared counter, so that slow and fast items
// balance (a depthwise layer's mapping next to a pointwise one's, a subtree of the mapper's walk next to
// another). Used by the mapper's search and the co-design problem's mapper jobs.
#pragma once

#include <cstddef>
#include <functional>

namespace bitloop
{

// Runs body(item, worker) for every item in [0, n) on min(threads, n) threads, the caller's among them;
// `worker` (0 .. threads-1) names the thread, for state of its own. Before each item, `stop` (when given)
// may end the hand-out: items not started are skipped. The first exception a body throws ends the
// hand-out too, and is rethrown here once every thread has finished.
void parallelFor(size_t n, int threads, const std::function<void(size_t item, int worker)> &body,
                 const std::function<bool()> &stop = {});

} // namespace bitloop
