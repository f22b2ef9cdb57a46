// The thread count LibTorch uses, set explicitly (training throughput is measured and compared at a
// known count). No torch header here, so a caller that includes Qt need not care about `slots`.
#pragma once

namespace bitloop::qat
{

// Intra-op threads on every call; inter-op threads too, but only on the first call (LibTorch allows that
// once per process, before any inter-op work has started), and then keeps freed memory for reuse (see
// threads.cpp). Throws std::invalid_argument when n < 1.
void setThreads(int n);

// Keeps the memory tensors free for the next tensors, in one malloc arena for all threads (threads.cpp says
// why). Programs that measure accuracy call it first in main(), before any thread allocates; setThreads
// calls it too.
void keepFreedMemory();

} // namespace bitloop::qat
