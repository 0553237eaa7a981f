// Thread count used by every kernel (OpenMP and Eigen's GEMM).
#pragma once
namespace nnkern {
void set_num_threads(int n);  // n >= 1; throws std::invalid_argument otherwise
int get_num_threads();         // defaults to the number of cores
// Threads to use for a call doing about `flops` floating-point operations: 1 for small work,
// where starting a parallel region costs more than it saves.
int threads_for_work(double flops);
}  // namespace nnkern
