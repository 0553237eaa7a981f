#include <vector>

#include "bench_common.hpp"
#include "nnkern/attention.hpp"
#include "nnkern/threads.hpp"

using namespace nnkern;

// Args: batch, steps (query = key/value), heads, head dim, causal, threads. Self-attention as in a
// Transformer block after its projections; FLOPs counted: 2 * B * H * T * T * (dk + dv).
static void BM_attention(benchmark::State& state) {
  AttentionShape s;
  s.batch = state.range(0);
  s.q_len = s.kv_len = state.range(1);
  s.heads = state.range(2);
  s.key_dim = s.value_dim = state.range(3);
  const bool causal = state.range(4) != 0;
  set_num_threads(static_cast<int>(state.range(5)));
  const index_t n = s.batch * s.q_len * s.heads * s.key_dim;
  auto q = bench::random_buffer(n, 1), k = bench::random_buffer(n, 2), v = bench::random_buffer(n, 3);
  std::vector<float> y(n);
  for (auto _ : state) {
    attention(q.data(), k.data(), v.data(), AttentionMask{}, causal, 0.125f, MaskedScores::Uniform, y.data(), nullptr,
              s);
    benchmark::DoNotOptimize(y.data());
  }
  bench::set_flops(state, 2.0 * s.batch * s.heads * s.q_len * s.kv_len * (s.key_dim + s.value_dim));
}
// The keras-io text classifier's block (batch 32, 200 tokens, 2 heads of 32) and a BERT-base-sized
// layer (batch 1, 512 tokens, 12 heads of 64), unmasked and causal.
BENCHMARK(BM_attention)->ArgNames({"B", "T", "heads", "dim", "causal", "threads"})
    ->Args({32, 200, 2, 32, 0, 1})->Args({32, 200, 2, 32, 0, 2})
    ->Args({1, 512, 12, 64, 0, 1})->Args({1, 512, 12, 64, 0, 2})->Args({1, 512, 12, 64, 1, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
