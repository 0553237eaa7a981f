#include "nnkern/threads.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <atomic>
#include <stdexcept>
#include <string>

namespace nnkern {

static std::atomic<int> g_threads{0};  // 0: not chosen yet -> all cores

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("number of threads must be >= 1, got " + std::to_string(n));
  g_threads = n;
  Eigen::setNbThreads(n);
}

int get_num_threads() {
  int n = g_threads.load();
  if (n == 0) {
    n = omp_get_num_procs();
    g_threads = n;
    Eigen::setNbThreads(n);
  }
  return n;
}

int threads_for_work(double flops) {
  const int n = get_num_threads();
  if (n == 1 || flops < kMinParallelFlops) return 1;
  const double fit = flops / kMinFlopsPerThread;
  return fit < n ? static_cast<int>(fit) : n;
}

int threads_for_bytes(double bytes) { return threads_for_work(kFlopsPerByte * bytes); }

}  // namespace nnkern
