#include "qat/threads.h"

#include <ATen/Parallel.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace bitloop::qat
{

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
    });
}

} // namespace bitloop::qat
