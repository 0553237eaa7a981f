// Thread count used by every kernel (OpenMP and Eigen's GEMM), and the one rule for how many of
// them a call uses.
#pragma once
namespace nnkern {
void set_num_threads(int n);  // n >= 1; throws std::invalid_argument otherwise
int get_num_threads();         // defaults to the number of cores

// Threads to use for a call doing about `flops` floating-point operations: 1 below kMinParallelFlops
// (a parallel region's start and the threads' wake-up cost more than the split saves), then one
// thread per kMinFlopsPerThread, up to get_num_threads().
int threads_for_work(double flops);
// The same for work bounded by memory traffic (pooling, copies): `bytes` read + written.
int threads_for_bytes(double bytes);

// Load awareness (on by default): threads_for_work also leaves out cores that other processes keep
// busy (Linux /proc, checked at most every 50 ms), since a team waiting for a busy core is slower
// than one thread.
void set_load_aware(bool on);
bool load_aware();

// Calibrated on a 2-core Zen 4 (~100 GFLOP/s per core in GEMM): 4 MFLOP is ~40 us on one core,
// where a split on two measured faster in a loop (threads awake); below it, threads asleep between
// calls would cost more than they save.
constexpr double kMinParallelFlops = 4.0e6;
constexpr double kMinFlopsPerThread = 2.0e6;
// A byte streamed costs about as much time as this many GEMM flops (pooling: ~10 GB/s per core).
constexpr double kFlopsPerByte = 4.0;
}  // namespace nnkern
