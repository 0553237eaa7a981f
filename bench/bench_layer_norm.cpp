#include <vector>

#include "bench_common.hpp"
#include "nnkern/layer_norm.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: rows, cols, residual, threads. LayerNormalization over the last axis with gamma and beta, as after
// each attention and feed-forward part of a Transformer block. It streams memory, so the counter is bytes
// read (x, residual) + written (y) per second.
static void BM_layer_norm(benchmark::State& state) {
  LayerNormShape s;
  s.rows = state.range(0);
  s.cols = state.range(1);
  const bool with_residual = state.range(2) != 0;
  set_num_threads(static_cast<int>(state.range(3)));
  const index_t n = s.rows * s.cols;
  auto x = bench::random_buffer(n, 1), residual = bench::random_buffer(n, 2);
  auto gamma = bench::random_buffer(s.cols, 3), beta = bench::random_buffer(s.cols, 4);
  std::vector<float> y(n);
  for (auto _ : state) {
    layer_norm(x.data(), with_residual ? residual.data() : nullptr, gamma.data(), beta.data(), 1e-6f, y.data(), s);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["bytes"] = benchmark::Counter(4.0 * static_cast<double>(n) * (with_residual ? 3 : 2),
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
}
// The keras-io text classifier (batch 32 x 200 tokens, d 32) and a BERT-mini encoder (batch 8 x 128, d 256).
BENCHMARK(BM_layer_norm)->ArgNames({"rows", "cols", "residual", "threads"})
    ->Args({6400, 32, 0, 1})->Args({6400, 32, 1, 1})->Args({6400, 32, 1, 2})
    ->Args({1024, 256, 0, 1})->Args({1024, 256, 1, 1})->Args({1024, 256, 1, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
