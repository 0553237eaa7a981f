#include "nnkern/recurrent.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <memory>

#include "nnkern/threads.hpp"
#include "parallel.hpp"
#include "recurrent_common.hpp"

namespace nnkern {

namespace {

using detail::fill_with_bias;
using detail::RowMatrix;
using detail::Scratch;
using detail::scratch;
using detail::StepProduct;

// x . W + bias for every (sample, step) row of x (N * T rows, x's own order), as one GEMM before the
// recurrence: its tiles depend on the shape only, so the sums are the same on any thread count.
Scratch input_products(const float* x, const float* kernel, const float* bias, index_t rows, index_t depth,
                       index_t cols) {
  auto z = scratch(rows * cols);
  fill_with_bias(z.get(), rows, cols, bias);
  if (depth > 0)
    detail::tiled_product(Eigen::Map<const RowMatrix>(x, rows, depth),
                          Eigen::Map<const RowMatrix>(kernel, depth, cols), Eigen::Map<RowMatrix>(z.get(), rows, cols),
                          true, threads_for_work(2.0 * rows * depth * cols));
  return z;
}

// h_out set to the initial state (or zeros).
void start_state(const float* initial_h, float* h_out, index_t n) {
  if (initial_h)
    std::copy(initial_h, initial_h + n, h_out);
  else
    std::fill(h_out, h_out + n, 0.0f);
}

// After step k (time t): a sample whose mask is set takes its new h, a masked one keeps h (and so
// outputs it again); with return_sequences h is the step's output.
void commit_step(const float* h_new, float* h, const std::uint8_t* mask, float* output, const RecurrentShape& s,
                 index_t t, index_t k, bool return_sequences) {
  const index_t T = s.timesteps, u = s.units;
  for (index_t n = 0; n < s.batch; ++n) {
    float* hn = h + n * u;
    if (!mask || mask[n * T + t]) std::copy_n(h_new + n * u, u, hn);
    if (output && return_sequences) std::copy_n(hn, u, output + (n * T + k) * u);
  }
}

index_t time_of(index_t k, index_t T, bool go_backwards) { return go_backwards ? T - 1 - k : k; }

// Samples are independent in a recurrence, so the batch is split into chunks of kChunkSamples that run
// their whole sequence each, shared by the threads without a barrier per step. The chunks depend on the
// batch size only, so every sample's sums are the same on any thread count.
constexpr index_t kChunkSamples = 16;

// run_chunk(first sample, chunk shape) for every chunk, on threads sized by the recurrent work.
template <class Chunk>
void for_each_chunk(const RecurrentShape& s, index_t gates, Chunk&& run_chunk) {
  const index_t chunks = (s.batch + kChunkSamples - 1) / kChunkSamples;
  const double recurrent_flops = 2.0 * s.timesteps * s.batch * s.units * gates * s.units;
  detail::parallel_for(chunks, threads_for_work(recurrent_flops), [&](index_t c) {
    const index_t n0 = c * kChunkSamples;
    RecurrentShape chunk = s;
    chunk.batch = std::min(kChunkSamples, s.batch - n0);
    run_chunk(n0, chunk);
  });
}

}  // namespace

void validate(const RecurrentShape& s, index_t gates) {
  const index_t cols = checked_product({s.units, gates}, "recurrent units");
  checked_product({s.batch, s.timesteps, s.input_dim}, "recurrent input");
  checked_product({s.input_dim, cols}, "recurrent kernel");
  checked_product({s.units, cols}, "recurrent recurrent_kernel");
  checked_product({s.batch, s.timesteps, cols}, "recurrent input pre-activations");
  checked_product({s.batch, s.timesteps, s.units}, "recurrent output");
}

double recurrent_flops(const RecurrentShape& s, index_t gates) {
  return 2.0 * s.timesteps * s.batch * (s.input_dim + s.units) * gates * s.units;
}

namespace {

// The GRU recurrence of one chunk of samples: zx holds its x . W + b_in rows, h its states, mask and output
// its rows (all offset to the chunk's first sample).
void gru_chunk(const float* zx, const float* recurrent_kernel, const float* recurrent_bias, const std::uint8_t* mask,
               float* output, float* h_out, const RecurrentShape& s, const RecurrentOptions& options) {
  const index_t N = s.batch, T = s.timesteps, u = s.units, G = 3 * u;
  const bool after = options.reset_after;
  // With reset_after all of h . U comes before the gates; without, only its z and r columns, the
  // candidate's product waits for r.
  const index_t inner_cols = after ? G : 2 * u;
  auto inner = scratch(N * inner_cols), z = scratch(N * u), r = scratch(N * u), hh = scratch(N * u);
  Scratch reset_h = after ? Scratch() : scratch(N * u);
  StepProduct inner_product(recurrent_kernel, G, u, inner_cols, N);
  std::unique_ptr<StepProduct> candidate_product;
  if (!after) candidate_product = std::make_unique<StepProduct>(recurrent_kernel + 2 * u, G, u, u, N);
  for (index_t k = 0; k < T; ++k) {
    const index_t t = time_of(k, T, options.go_backwards);
    fill_with_bias(inner.get(), N, inner_cols, recurrent_bias);
    inner_product.accumulate(h_out, u, inner.get(), inner_cols);
    // Plain loops over contiguous (N, u) blocks: the gates' activations then run over whole rows
    // (softmax acts on a gate's u values, as Keras's on the gate tensor).
    for (index_t n = 0; n < N; ++n) {
      const float* xr = zx + (n * T + t) * G;
      const float* in = inner.get() + n * inner_cols;
      float *zn = z.get() + n * u, *rn = r.get() + n * u;
      for (index_t j = 0; j < u; ++j) {
        zn[j] = xr[j] + in[j];
        rn[j] = xr[u + j] + in[u + j];
      }
    }
    bias_activation(z.get(), N, u, nullptr, options.recurrent_activation);
    bias_activation(r.get(), N, u, nullptr, options.recurrent_activation);
    for (index_t n = 0; n < N; ++n) {
      const float* xh = zx + (n * T + t) * G + 2 * u;
      const float* rn = r.get() + n * u;
      float* hn = hh.get() + n * u;
      if (after) {
        const float* inner_h = inner.get() + n * inner_cols + 2 * u;
        for (index_t j = 0; j < u; ++j) hn[j] = xh[j] + rn[j] * inner_h[j];
      } else {
        const float* h = h_out + n * u;
        float* rh = reset_h.get() + n * u;
        for (index_t j = 0; j < u; ++j) rh[j] = rn[j] * h[j];
        std::copy_n(xh, u, hn);
      }
    }
    if (!after) candidate_product->accumulate(reset_h.get(), u, hh.get(), u);
    bias_activation(hh.get(), N, u, nullptr, options.activation);
    const float* zp = z.get();
    float* hp = hh.get();
    for (index_t i = 0; i < N * u; ++i) hp[i] = zp[i] * h_out[i] + (1.0f - zp[i]) * hp[i];
    commit_step(hp, h_out, mask, output, s, t, k, options.return_sequences);
  }
}

void simple_rnn_chunk(const float* zx, const float* recurrent_kernel, const std::uint8_t* mask, float* output,
                      float* h_out, const RecurrentShape& s, const RecurrentOptions& options) {
  const index_t N = s.batch, T = s.timesteps, u = s.units;
  auto a = scratch(N * u);
  StepProduct recurrent_product(recurrent_kernel, u, u, u, N);
  for (index_t k = 0; k < T; ++k) {
    const index_t t = time_of(k, T, options.go_backwards);
    for (index_t n = 0; n < N; ++n) std::copy_n(zx + (n * T + t) * u, u, a.get() + n * u);
    recurrent_product.accumulate(h_out, u, a.get(), u);
    bias_activation(a.get(), N, u, nullptr, options.activation);
    commit_step(a.get(), h_out, mask, output, s, t, k, options.return_sequences);
  }
}

}  // namespace

void gru_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                  const float* initial_h, const std::uint8_t* mask, float* output, float* h_out,
                  const RecurrentShape& s, const RecurrentOptions& options) {
  detail::begin_call();
  const index_t N = s.batch, T = s.timesteps, F = s.input_dim, u = s.units, G = 3 * u;
  start_state(initial_h, h_out, N * u);
  if (N > 0 && u > 0 && T > 0) {
    const float* recurrent_bias = bias && options.reset_after ? bias + G : nullptr;
    auto zx = input_products(x, kernel, bias, N * T, F, G);
    float* sequences = output && options.return_sequences ? output : nullptr;
    for_each_chunk(s, 3, [&](index_t n0, const RecurrentShape& chunk) {
      gru_chunk(zx.get() + n0 * T * G, recurrent_kernel, recurrent_bias, mask ? mask + n0 * T : nullptr,
                sequences ? sequences + n0 * T * u : nullptr, h_out + n0 * u, chunk, options);
    });
  }
  if (output && !options.return_sequences) std::copy(h_out, h_out + N * u, output);
}

void simple_rnn_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                         const float* initial_h, const std::uint8_t* mask, float* output, float* h_out,
                         const RecurrentShape& s, const RecurrentOptions& options) {
  detail::begin_call();
  const index_t N = s.batch, T = s.timesteps, F = s.input_dim, u = s.units;
  start_state(initial_h, h_out, N * u);
  if (N > 0 && u > 0 && T > 0) {
    auto zx = input_products(x, kernel, bias, N * T, F, u);
    float* sequences = output && options.return_sequences ? output : nullptr;
    for_each_chunk(s, 1, [&](index_t n0, const RecurrentShape& chunk) {
      simple_rnn_chunk(zx.get() + n0 * T * u, recurrent_kernel, mask ? mask + n0 * T : nullptr,
                       sequences ? sequences + n0 * T * u : nullptr, h_out + n0 * u, chunk, options);
    });
  }
  if (output && !options.return_sequences) std::copy(h_out, h_out + N * u, output);
}

}  // namespace nnkern
