#include <algorithm>

#include "bench_common.hpp"
#include "nnkern/lstm.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch N, timesteps T, input_dim F, units u, threads. Keras defaults (tanh / sigmoid),
// with bias, last output only. FLOPs counted: 2 * T * N * (F + u) * 4u per call.
static void BM_lstm(benchmark::State& state) {
  const LstmShape s{state.range(0), state.range(1), state.range(2), state.range(3)};
  set_num_threads(static_cast<int>(state.range(4)));
  // Small weights keep the gates out of saturation, as trained weights mostly are.
  auto scaled = [](std::vector<float> v, float k) {
    for (auto& e : v) e *= k;
    return v;
  };
  auto x = bench::random_buffer(s.batch * s.timesteps * s.input_dim, 1);
  auto w = scaled(bench::random_buffer(s.input_dim * 4 * s.units, 2), 0.2f);
  auto u = scaled(bench::random_buffer(s.units * 4 * s.units, 3), 0.2f);
  auto b = bench::random_buffer(4 * s.units, 4);
  std::vector<float> y(s.batch * s.units), h(s.batch * s.units), c(s.batch * s.units);
  LstmOptions options;
  for (auto _ : state) {
    lstm_sequence(x.data(), w.data(), u.data(), b.data(), nullptr, nullptr, nullptr, y.data(), h.data(), c.data(),
                  s, options);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, lstm_flops(s));
}
// W8: 64 units, input 20, 100 steps, batch 1 and 32; W9: 256 units, input 128, 50 steps, batch 32.
BENCHMARK(BM_lstm)->ArgNames({"N", "T", "F", "u", "threads"})
    ->Args({1, 100, 20, 64, 1})->Args({32, 100, 20, 64, 1})->Args({32, 50, 128, 256, 1})
    ->Args({1, 100, 20, 64, 2})->Args({32, 100, 20, 64, 2})->Args({32, 50, 128, 256, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// W10: Embedding(1000, 20) -> LSTM(64) on 100 token ids, batch 1: the row gather, then the sequence.
static void BM_embedding_lstm(benchmark::State& state) {
  const index_t vocab = 1000, T = 100, F = 20, u = 64;
  const LstmShape s{1, T, F, u};
  set_num_threads(static_cast<int>(state.range(0)));
  auto table = bench::random_buffer(vocab * F, 5);
  std::vector<int> ids(T);
  for (index_t t = 0; t < T; ++t) ids[t] = static_cast<int>((t * 7919) % vocab);
  auto w = bench::random_buffer(F * 4 * u, 2), uk = bench::random_buffer(u * 4 * u, 3);
  for (auto& e : w) e *= 0.2f;
  for (auto& e : uk) e *= 0.2f;
  auto b = bench::random_buffer(4 * u, 4);
  std::vector<float> x(T * F), y(u), h(u), c(u);
  LstmOptions options;
  for (auto _ : state) {
    for (index_t t = 0; t < T; ++t) std::copy_n(table.data() + ids[t] * F, F, x.data() + t * F);
    lstm_sequence(x.data(), w.data(), uk.data(), b.data(), nullptr, nullptr, nullptr, y.data(), h.data(), c.data(),
                  s, options);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, lstm_flops(s));
}
BENCHMARK(BM_embedding_lstm)->ArgNames({"threads"})->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
