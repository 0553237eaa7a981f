#include "bench_common.hpp"
#include "nnkern/conv2d_transpose.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch, height, width, in channels, kernel size, out channels, stride, threads. `same`
// padding, ReLU. FLOPs: the scatter's multiply-adds (Conv2DTransposeShape::flops).
static void BM_conv2d_transpose(benchmark::State& state) {
  const index_t k = state.range(4), stride = state.range(6);
  const Conv2DTransposeShape s = conv2d_transpose_shape(state.range(0), state.range(1), state.range(2),
                                                        state.range(3), k, k, state.range(5), stride, stride, 1, 1,
                                                        Padding::Same);
  set_num_threads(static_cast<int>(state.range(7)));
  auto x = bench::random_buffer(s.batch * s.in[0] * s.in[1] * s.in_channels, 1);
  auto w = bench::random_buffer(k * k * s.in_channels * s.out_channels, 2);
  auto b = bench::random_buffer(s.out_channels, 3);
  std::vector<float> y(s.batch * s.out[0] * s.out[1] * s.out_channels);
  for (auto _ : state) {
    conv2d_transpose_nhwc(x.data(), w.data(), b.data(), y.data(), s, Activation::Relu);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, s.flops());
}
// W5: 3 -> 32 3x3 s2 on 1x128x128x3; W6: 64 -> 32 3x3 s2 on 8x32x32x64.
BENCHMARK(BM_conv2d_transpose)->ArgNames({"N", "H", "W", "C", "k", "F", "s", "threads"})
    ->Args({1, 128, 128, 3, 3, 32, 2, 1})->Args({1, 128, 128, 3, 3, 32, 2, 2})
    ->Args({8, 32, 32, 64, 3, 32, 2, 1})->Args({8, 32, 32, 64, 3, 32, 2, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
