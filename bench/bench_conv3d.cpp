#include "bench_common.hpp"
#include "nnkern/conv3d.hpp"
#include "nnkern/pooling.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch, D (= H = W), in channels, kernel size (cubic), out channels, threads. `same`, ReLU.
static void BM_conv3d(benchmark::State& state) {
  const index_t n = state.range(1), k = state.range(3);
  const Conv3DShape s = conv3d_shape(state.range(0), {n, n, n}, state.range(2), {k, k, k}, state.range(4),
                                     {1, 1, 1}, {1, 1, 1}, Padding::Same);
  set_num_threads(static_cast<int>(state.range(5)));
  auto x = bench::random_buffer(s.batch * n * n * n * s.in_channels, 1);
  auto w = bench::random_buffer(k * k * k * s.in_channels * s.out_channels, 2);
  auto b = bench::random_buffer(s.out_channels, 3);
  std::vector<float> y(s.batch * s.out_voxels() * s.out_channels);
  for (auto _ : state) {
    conv3d_ndhwc(x.data(), w.data(), b.data(), y.data(), s, Activation::Relu);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, 2.0 * s.batch * s.out_voxels() * k * k * k * s.in_channels * s.out_channels);
}
// A video-like stem (3 -> 16 on 2x16^3) and a deeper layer (32 -> 32 on 2x16^3), 3x3x3.
BENCHMARK(BM_conv3d)->ArgNames({"N", "D", "C", "k", "F", "threads"})
    ->Args({2, 16, 3, 3, 16, 1})->Args({2, 16, 3, 3, 16, 2})
    ->Args({2, 16, 32, 3, 32, 1})->Args({2, 16, 32, 3, 32, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// Args as BM_conv3d; strides 2, `same`. The flop count is the scatter's (input voxels x taps).
static void BM_conv3d_transpose(benchmark::State& state) {
  const index_t n = state.range(1), k = state.range(3);
  const Conv3DTransposeShape s = conv3d_transpose_shape(state.range(0), {n, n, n}, state.range(2), {k, k, k},
                                                        state.range(4), {2, 2, 2}, {1, 1, 1}, Padding::Same);
  set_num_threads(static_cast<int>(state.range(5)));
  auto x = bench::random_buffer(s.batch * n * n * n * s.in_channels, 1);
  auto w = bench::random_buffer(k * k * k * s.in_channels * s.out_channels, 2);
  std::vector<float> y(s.batch * s.out_voxels() * s.out_channels);
  for (auto _ : state) {
    conv3d_transpose_ndhwc(x.data(), w.data(), nullptr, y.data(), s, Activation::Linear);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, 2.0 * s.batch * n * n * n * k * k * k * s.in_channels * s.out_channels);
}
BENCHMARK(BM_conv3d_transpose)->ArgNames({"N", "D", "C", "k", "F", "threads"})
    ->Args({2, 8, 32, 3, 16, 1})->Args({2, 8, 32, 3, 16, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// MaxPooling3D 2x2x2 on 2x32^3x16; bytes read + written per second.
static void BM_max_pool3d(benchmark::State& state) {
  const index_t n = state.range(1);
  const Pool3DShape s = pool3d_shape(state.range(0), {n, n, n}, state.range(2), {2, 2, 2}, Padding::Valid);
  set_num_threads(static_cast<int>(state.range(3)));
  auto x = bench::random_buffer(s.batch * n * n * n * s.channels, 1);
  std::vector<float> y(s.batch * s.out[0] * s.out[1] * s.out[2] * s.channels);
  for (auto _ : state) {
    max_pool3d_ndhwc(x.data(), y.data(), s);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["bytes"] = benchmark::Counter(4.0 * static_cast<double>(x.size() + y.size()),
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
}
BENCHMARK(BM_max_pool3d)->ArgNames({"N", "D", "C", "threads"})->Args({2, 32, 16, 1})->Args({2, 32, 16, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
