#include "bench_common.hpp"
#include "nnkern/pooling.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch, H, W, C, pool (square, stride = pool, `valid`), threads. Pooling streams memory, so
// the counter is bytes read + written per second.
template <void (*Pool)(const float*, float*, const Pool2DShape&)>
static void BM_pool2d(benchmark::State& state) {
  const Pool2DShape s = pool2d_shape(state.range(0), state.range(1), state.range(2), state.range(3),
                                     state.range(4), state.range(4), Padding::Valid);
  set_num_threads(static_cast<int>(state.range(5)));
  auto x = bench::random_buffer(s.batch * s.in[0] * s.in[1] * s.channels, 1);
  std::vector<float> y(s.batch * s.out[0] * s.out[1] * s.channels);
  for (auto _ : state) {
    Pool(x.data(), y.data(), s);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["bytes"] = benchmark::Counter(4.0 * static_cast<double>(x.size() + y.size()),
                                               benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
}
// W7: MaxPool2D 2x2 on 8x128x128x32, and the average counterpart, 1 and 2 threads.
BENCHMARK_TEMPLATE(BM_pool2d, max_pool2d_nhwc)->Name("BM_max_pool2d")
    ->ArgNames({"N", "H", "W", "C", "pool", "threads"})
    ->Args({8, 128, 128, 32, 2, 1})->Args({8, 128, 128, 32, 2, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_pool2d, avg_pool2d_nhwc)->Name("BM_avg_pool2d")
    ->ArgNames({"N", "H", "W", "C", "pool", "threads"})
    ->Args({8, 128, 128, 32, 2, 1})->Args({8, 128, 128, 32, 2, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
