#include "bench_common.hpp"
#include "nnkern/recurrent.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch N, timesteps T, input_dim F, units u, threads. Keras defaults (tanh / sigmoid,
// reset_after), with bias, last output only. FLOPs counted: 2 * T * N * (F + u) * gates * u per call.
template <index_t Gates>
static void run_recurrent(benchmark::State& state, bool reset_after) {
  const RecurrentShape s{state.range(0), state.range(1), state.range(2), state.range(3)};
  set_num_threads(static_cast<int>(state.range(4)));
  // Small weights keep the gates out of saturation, as trained weights mostly are.
  auto scaled = [](std::vector<float> v, float k) {
    for (auto& e : v) e *= k;
    return v;
  };
  const index_t cols = Gates * s.units;
  auto x = bench::random_buffer(s.batch * s.timesteps * s.input_dim, 1);
  auto w = scaled(bench::random_buffer(s.input_dim * cols, 2), 0.2f);
  auto u = scaled(bench::random_buffer(s.units * cols, 3), 0.2f);
  auto b = bench::random_buffer(2 * cols, 4);  // GRU reset_after: (2, 3u); otherwise the first row
  std::vector<float> y(s.batch * s.units), h(s.batch * s.units);
  RecurrentOptions options;
  options.reset_after = reset_after;
  for (auto _ : state) {
    if (Gates == 3)
      gru_sequence(x.data(), w.data(), u.data(), b.data(), nullptr, nullptr, y.data(), h.data(), s, options);
    else
      simple_rnn_sequence(x.data(), w.data(), u.data(), b.data(), nullptr, nullptr, y.data(), h.data(), s, options);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, recurrent_flops(s, Gates));
}

static void BM_gru(benchmark::State& state) { run_recurrent<3>(state, true); }
static void BM_gru_reset_before(benchmark::State& state) { run_recurrent<3>(state, false); }
static void BM_simple_rnn(benchmark::State& state) { run_recurrent<1>(state, true); }

// The LSTM's workloads: 64 units, input 20, 100 steps, batch 1 and 32; 256 units, input 128, 50 steps, batch 32.
BENCHMARK(BM_gru)->ArgNames({"N", "T", "F", "u", "threads"})
    ->Args({1, 100, 20, 64, 1})->Args({32, 100, 20, 64, 1})->Args({32, 50, 128, 256, 1})
    ->Args({32, 50, 128, 256, 2})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_gru_reset_before)->ArgNames({"N", "T", "F", "u", "threads"})
    ->Args({1, 100, 20, 64, 1})->Args({32, 100, 20, 64, 1})->Args({32, 50, 128, 256, 1})->Args({32, 50, 128, 256, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_simple_rnn)->ArgNames({"N", "T", "F", "u", "threads"})
    ->Args({1, 100, 20, 64, 1})->Args({32, 100, 20, 64, 1})->Args({32, 50, 128, 256, 1})->Args({32, 50, 128, 256, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
