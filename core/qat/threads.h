// The thread count LibTorch uses, set explicitly (training throughput is measured and compared at a
// known count). No torch header here, so a caller that includes Qt need not care about `slots`.
#pragma once

namespace bitloop::qat
{

// Intra-op threads on every call; inter-op threads too, but only on the first call (LibTorch allows that
// once per process, before any inter-op work has started), and then keepFreedMemory(). Throws
// std::invalid_argument when n < 1.
void setThreads(int n);

// Keeps memory that tensors free for the next tensors instead of returning it to the system (glibc's
// malloc; elsewhere nothing). LibTorch's CPU allocator does not cache, and a tensor of a few MB freed to
// the system is faulted back in page by page when the next one is allocated: on a virtual machine that made
// BatchNorm re-estimation over 512 images in one batch 3 times slower than the rest of an evaluation
// (docs/benchmarks.md §9, seventeenth session). Costs up to about 1 GB of resident memory held for reuse.
void keepFreedMemory();

} // namespace bitloop::qat
