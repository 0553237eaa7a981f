#include "bench_common.hpp"
#include "nnkern/dense.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch M, in K, out N, threads.
static void BM_dense(benchmark::State& state) {
  const DenseShape s{state.range(0), state.range(1), state.range(2)};
  set_num_threads(static_cast<int>(state.range(3)));
  auto x = bench::random_buffer(s.batch * s.in_features, 1);
  auto w = bench::random_buffer(s.in_features * s.out_features, 2);
  auto b = bench::random_buffer(s.out_features, 3);
  std::vector<float> y(s.batch * s.out_features);
  for (auto _ : state) {
    dense(x.data(), w.data(), b.data(), y.data(), s, Activation::Relu);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, 2.0 * s.batch * s.in_features * s.out_features);
}
// W1 (64 -> 200) and W2 (1024 -> 1024), batch 1 and 256, 1 and 2 threads.
BENCHMARK(BM_dense)->ArgNames({"M", "K", "N", "threads"})
    ->ArgsProduct({{1, 256}, {64}, {200}, {1, 2}})
    ->ArgsProduct({{1, 256}, {1024}, {1024}, {1, 2}})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
