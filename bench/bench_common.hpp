// Helpers shared by the microbenchmarks: seeded buffers and the GFLOP/s counter.
#pragma once
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace nnkern::bench {

inline std::vector<float> random_buffer(size_t n, unsigned seed = 42) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Reports FLOP/s of the measured calls; Google Benchmark prints it as e.g. "95.1G/s".
inline void set_flops(benchmark::State& state, double flops_per_call) {
  state.counters["FLOPS"] = benchmark::Counter(flops_per_call, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
}

}  // namespace nnkern::bench
