#include "bench_common.hpp"
#include "nnkern/depthwise_conv2d.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch, height, width, channels, stride, threads. 3x3, depth_multiplier 1, `same` padding, ReLU.
static void BM_depthwise_conv2d(benchmark::State& state) {
  const index_t stride = state.range(4);
  const DepthwiseConv2DShape s = depthwise_conv2d_shape(state.range(0), state.range(1), state.range(2),
                                                        state.range(3), 3, 3, 1, stride, stride, 1, 1, Padding::Same);
  set_num_threads(static_cast<int>(state.range(5)));
  auto x = bench::random_buffer(s.batch * s.in[0] * s.in[1] * s.in_channels, 1);
  auto w = bench::random_buffer(9 * s.out_channels, 2);
  auto b = bench::random_buffer(s.out_channels, 3);
  std::vector<float> y(s.batch * s.out_h() * s.out_w() * s.out_channels);
  for (auto _ : state) {
    depthwise_conv2d_nhwc(x.data(), w.data(), b.data(), y.data(), s, Activation::Relu);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, 2.0 * s.batch * s.out_h() * s.out_w() * 9 * s.out_channels);
}
// MobileNetV2's depthwise layers: the first block (1x112x112x32, stride 1), a stride-2 expansion
// (1x56x56x144) and a deep one at batch 8 (8x14x14x576).
BENCHMARK(BM_depthwise_conv2d)->ArgNames({"N", "H", "W", "C", "stride", "threads"})
    ->Args({1, 112, 112, 32, 1, 1})->Args({1, 112, 112, 32, 1, 2})
    ->Args({1, 56, 56, 144, 2, 1})->Args({1, 56, 56, 144, 2, 2})
    ->Args({8, 14, 14, 576, 1, 1})->Args({8, 14, 14, 576, 1, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
