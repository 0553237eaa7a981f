#include "bench_common.hpp"
#include "nnkern/conv2d.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch, height, width, in channels, kernel size, out channels, threads. `same` padding, ReLU.
static void BM_conv2d(benchmark::State& state) {
  const index_t k = state.range(4);
  const Conv2DShape s = conv2d_shape(state.range(0), state.range(1), state.range(2), state.range(3), k, k,
                                     state.range(5), 1, 1, 1, 1, Padding::Same);
  set_num_threads(static_cast<int>(state.range(6)));
  auto x = bench::random_buffer(s.batch * s.in[0] * s.in[1] * s.in_channels, 1);
  auto w = bench::random_buffer(k * k * s.in_channels * s.out_channels, 2);
  auto b = bench::random_buffer(s.out_channels, 3);
  std::vector<float> y(s.batch * s.out_h() * s.out_w() * s.out_channels);
  for (auto _ : state) {
    conv2d_nhwc(x.data(), w.data(), b.data(), y.data(), s, Activation::Relu);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, 2.0 * s.batch * s.out_h() * s.out_w() * k * k * s.in_channels * s.out_channels);
}
// W3: 3 -> 32 3x3 on 1x128x128x3; W4: 64 -> 64 3x3 on 8x56x56x64; 1x1: 64 -> 256 on 8x56x56x64
// (the pointwise single-GEMM path).
BENCHMARK(BM_conv2d)->ArgNames({"N", "H", "W", "C", "k", "F", "threads"})
    ->Args({1, 128, 128, 3, 3, 32, 1})->Args({1, 128, 128, 3, 3, 32, 2})
    ->Args({8, 56, 56, 64, 3, 64, 1})->Args({8, 56, 56, 64, 3, 64, 2})
    ->Args({8, 56, 56, 64, 1, 256, 1})->Args({8, 56, 56, 64, 1, 256, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
