#include "qat/threads.h"

#include <ATen/Parallel.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <mutex>
#include <stdexcept>
#include <string>

namespace bitloop::qat
{

// Keeps memory that tensors free for the next tensors instead of returning it to the system (glibc's
// malloc; elsewhere nothing). LibTorch's CPU allocator does not cache, and a tensor of a few MB freed to
// the system is faulted back in page by page when the next one is allocated: on a virtual machine that made
// BatchNorm re-estimation over 512 images in one batch 3 times slower than the rest of an evaluation
// (docs/benchmarks.md §9, seventeenth session). Costs up to about 1 GB of resident memory held for reuse.
void keepFreedMemory()
{
#if defined(__GLIBC__)
    // Blocks up to 32 MiB (glibc's largest mmap threshold) from the heap rather than from fresh mappings,
    // the heap grown 512 MiB at a time and trimmed only above 1 GiB free. Measured together; each alone
    // left most of the page faults (docs/benchmarks.md §9, seventeenth session).
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TOP_PAD, 512 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    // One arena for every thread. The search measures accuracy on a thread of its own (beside the mapper),
    // and a thread's own arena is made of 64 MiB heaps that the settings above do not keep: the supernet
    // evaluator took 4.1 s a candidate there against 2.6 s in the main arena, and 1.2 s on an idle core
    // (docs/benchmarks.md §9, twenty-third session). The mapper, which allocates from several threads, was
    // measured as fast either way (glibc's per-thread caches serve its small blocks without the lock).
    // Only threads that have not allocated yet are bound by it, so programs call this first thing.
    mallopt(M_ARENA_MAX, 1);
#endif
}

void setThreads(int n)
{
    if (n < 1)
        throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(n));
    at::set_num_threads(n);
    static std::once_flag interop;
    std::call_once(interop, [n] {
        try {
            at::set_num_interop_threads(n);
        } catch (const std::exception &) {
            // Inter-op work already ran (or another component set it): the pool keeps its size; the
            // intra-op count set above is the one that matters for the convolutions.
        }
        keepFreedMemory();
    });
}

} // namespace bitloop::qat
