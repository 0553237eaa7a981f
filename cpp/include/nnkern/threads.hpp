// Thread count used by every kernel, and the one rule for how many of them a call uses.
//
// Results never depend on the thread count: every kernel splits its work into tasks whose sizes
// depend on the shapes only (fixed tiles of a product's output, output rows, LSTM unit slices), and
// each task is computed the same way by whichever thread runs it. Threads are OpenMP teams sized per
// call (num_threads); Eigen itself is built single-threaded (EIGEN_DONT_PARALLELIZE), so no call
// changes a process-wide setting another call reads.
#pragma once
namespace nnkern {
// n >= 1; throws std::invalid_argument otherwise.
void set_num_threads(int n);
// Until set: NNKERN_NUM_THREADS, else OMP_NUM_THREADS (its first value), else the cores this process
// may run on. A value that is not a positive integer is ignored.
int get_num_threads();

// A cap on the threads of the kernel calls made from the calling thread only (0: none, the default;
// n >= 0, else std::invalid_argument). A caller that runs kernel calls concurrently on threads of its
// own (Bidirectional's two directions) gives each its share of the cores instead of letting both
// start teams of get_num_threads() on the same cores. Results do not change (see above).
void set_thread_limit(int n);
int thread_limit();

// Threads to use for a call doing about `flops` floating-point operations: 1 below kMinParallelFlops
// (a parallel region's start and the threads' wake-up cost more than the split saves), then one
// thread per kMinFlopsPerThread, up to get_num_threads() and this thread's thread_limit(). 1 in a
// child forked after this process ran a parallel region (OpenMP's workers do not survive fork, and
// waiting for them would hang).
int threads_for_work(double flops);
// The same for work bounded by memory traffic (pooling, copies): `bytes` read + written.
int threads_for_bytes(double bytes);

// Load awareness (off by default; on with set_load_aware(true) or NNKERN_LOAD_AWARE=1 at start):
// threads_for_work also leaves out cores that other processes keep busy (Linux /proc, checked at
// most every 50 ms), since a team waiting for a busy core is slower than one thread.
void set_load_aware(bool on);
bool load_aware();

// The largest team any parallel part of this thread's last kernel call ran on (1: serial).
int last_call_threads();
// True in a process forked after its parent ran a parallel region: kernels run on one thread there.
bool forked_single_threaded();

namespace detail {
// Start of a kernel call (every kernel entry point, before any early return): this thread's
// last_call_threads() counts from 1 again.
void begin_call();
// OpenMP workers are about to exist (a child forked from now on must not wait for them).
void note_workers_started();
// A team of `size` threads ran a part of this thread's current kernel call.
void note_team(int size);
}  // namespace detail

// Calibrated on a 2-core Zen 4 (~100 GFLOP/s per core in GEMM): 4 MFLOP is ~40 us on one core,
// where a split on two measured faster in a loop (threads awake); below it, threads asleep between
// calls would cost more than they save.
constexpr double kMinParallelFlops = 4.0e6;
constexpr double kMinFlopsPerThread = 2.0e6;
// A byte streamed costs about as much time as this many GEMM flops (pooling: ~10 GB/s per core).
constexpr double kFlopsPerByte = 4.0;
}  // namespace nnkern
