#include "nnkern/attention.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cfloat>
#include <vector>

#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstStrided = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
using Strided = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

constexpr index_t kRowAlign = EIGEN_MAX_ALIGN_BYTES / sizeof(float);

// Query rows per task, whose scores (rows padded to `ld` floats) take at most ~256 KiB (kept in L2):
// up to 256 rows. It depends on the shape only, so every row is computed the same way whatever the
// thread count. Larger blocks make larger products: with 64-row blocks, 200 keys of 2 heads x 32 took
// 201 us for one sequence and 8 x 128 keys of 4 heads x 64 2.05 ms, against 190 us and 1.82 ms (one
// Zen 4 core; interleaved runs, medians).
index_t query_block(index_t ld) {
  constexpr index_t kBytes = index_t(256) << 10;
  return std::clamp<index_t>(kBytes / (ld * static_cast<index_t>(sizeof(float))) / 8 * 8, 16, 256);
}

// Keras's large negative numbers (layers/activations/softmax.py; backend jax/nn.py _apply_masks).
constexpr float kSoftmaxMasked = -1e9f;
constexpr float kFusedMasked = -0.7f * FLT_MAX;
constexpr float kExpFloor = -87.0f;
constexpr float kExpOfFloor = 1.6459e-38f;  // a little above exp(-87) = 1.64581e-38

// What score j of a row becomes when masked (kept scores are left as they are).
inline void mask_score(float& x, MaskedScores masked) {
  switch (masked) {
    case MaskedScores::Zeroed: x = kSoftmaxMasked; break;
    case MaskedScores::Uniform: x = kFusedMasked; break;
    case MaskedScores::Shifted: x = x - 1e9f; break;
  }
}

// One row of scores in place: scale, mask, softmax (exp(x - max) / sum, as jax.nn.softmax; Eigen's
// vectorized exp and sum, whose order depends on the row length only). Score j is kept when
// j < limit (the causal mask: limit = query step + 1, else n) and, with a mask row, mask[j * stride] != 0.
void softmax_row(float* row, index_t n, float scale, MaskedScores masked, index_t limit, const std::uint8_t* mask,
                 index_t stride) {
  // Aligned rows: Eigen then never peels unaligned elements to a scalar path, so every element and the
  // sum are computed the same way wherever the row lies (the scratch rows are all aligned).
  Eigen::Map<Eigen::ArrayXf, Eigen::AlignedMax> r(row, n);
  if (scale != 1.0f) r *= scale;
  limit = std::min(limit, n);
  for (index_t j = limit; j < n; ++j) mask_score(row[j], masked);
  if (mask)
    for (index_t j = 0; j < limit; ++j)
      if (!mask[j * stride]) mask_score(row[j], masked);
  // exp(x) for x < -87 is within 2e-38 of 0 (as good as 0 next to the row's maximum, exp(0) = 1), but
  // computing it makes subnormal numbers, each many times slower than a normal operation (a causal
  // row is half masked): such arguments are clamped to -87 and their result set to exactly 0.
  r = (r - r.maxCoeff()).max(kExpFloor).exp();
  for (index_t j = 0; j < n; ++j)  // (a plain loop: Eigen's select() would not vectorize the exp)
    if (row[j] <= kExpOfFloor) row[j] = 0.0f;
  r /= r.sum();
  if (masked == MaskedScores::Zeroed) {  // Keras's Softmax layer: masked weights are 0, even in a masked row
    std::fill(row + limit, row + n, 0.0f);
    if (mask)
      for (index_t j = 0; j < limit; ++j)
        if (!mask[j * stride]) row[j] = 0.0f;
  }
}

}  // namespace

void validate(const AttentionShape& s) {
  require(s.batch >= 0 && s.q_len >= 0 && s.kv_len >= 0 && s.key_dim >= 0 && s.value_dim >= 0,
          "attention: sizes must be >= 0");
  require(s.heads >= 1, "attention: heads must be >= 1");
  checked_product({s.batch, s.q_len, s.heads, std::max(s.key_dim, s.value_dim)}, "attention: query/output size");
  checked_product({s.batch, s.kv_len, s.heads, std::max(s.key_dim, s.value_dim)}, "attention: key/value size");
  checked_product({s.batch, s.heads, s.q_len, s.kv_len}, "attention: scores size");
  require(s.q_step == 0 || s.q_step >= s.heads * s.key_dim, "attention: q_step must be 0 or >= heads * key_dim");
  require(s.k_step == 0 || s.k_step >= s.heads * s.key_dim, "attention: k_step must be 0 or >= heads * key_dim");
  require(s.v_step == 0 || s.v_step >= s.heads * s.value_dim, "attention: v_step must be 0 or >= heads * value_dim");
  checked_product({s.batch, std::max(s.q_len, s.kv_len), std::max({s.q_step, s.k_step, s.v_step, index_t{1}})},
                  "attention: strided input size");
}

void attention(const float* q, const float* k, const float* v, const AttentionMask& mask, bool causal,
               float scale, MaskedScores masked, float* out, float* scores, const AttentionShape& s) {
  detail::begin_call();
  validate(s);
  const index_t B = s.batch, H = s.heads, Tq = s.q_len, Tk = s.kv_len, dk = s.key_dim, dv = s.value_dim;
  const index_t qs = s.q_step ? s.q_step : H * dk, ks = s.k_step ? s.k_step : H * dk,
                vs = s.v_step ? s.v_step : H * dv;
  if (B == 0 || Tq == 0 || dv == 0) return;
  if (Tk == 0) {  // nothing to attend to: Keras's softmax over an empty axis leaves nothing to sum
    std::fill(out, out + B * Tq * H * dv, 0.0f);
    return;
  }
  // Rows padded to kRowAlign floats, so each starts aligned (see softmax_row).
  const index_t ld = (Tk + kRowAlign - 1) / kRowAlign * kRowAlign;
  const index_t block = query_block(ld);
  const index_t blocks = (Tq + block - 1) / block;
  const index_t tasks = B * H * blocks;
  const double flops = 2.0 * B * H * Tq * Tk * static_cast<double>(dk + dv) + 4.0 * B * H * Tq * Tk;
  const int threads = threads_for_work(flops);
  detail::parallel_for(tasks, threads, [&](index_t t) {
    const index_t b = t / (H * blocks), h = t / blocks % H, r0 = t % blocks * block;
    const index_t m = std::min(block, Tq - r0);
    thread_local std::vector<float, Eigen::aligned_allocator<float>> scratch;
    if (scratch.size() < static_cast<size_t>(m * ld)) scratch.resize(m * ld);
    float* block_scores = scratch.data();
    Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> S(block_scores, m, Tk, Eigen::OuterStride<>(ld));
    const ConstStrided Q(q + (b * Tq + r0) * qs + h * dk, m, dk, Eigen::OuterStride<>(qs));
    const ConstStrided K(k + b * Tk * ks + h * dk, Tk, dk, Eigen::OuterStride<>(ks));
    const ConstStrided V(v + b * Tk * vs + h * dv, Tk, dv, Eigen::OuterStride<>(vs));
    if (dk == 0)
      S.setZero();
    else
      S.noalias() = Q * K.transpose();
    for (index_t i = 0; i < m; ++i) {
      const index_t qi = r0 + i;
      const std::uint8_t* mrow =
          mask.data ? mask.data + b * mask.stride_b + h * mask.stride_h + qi * mask.stride_q : nullptr;
      softmax_row(block_scores + i * ld, Tk, scale, masked, causal ? qi + 1 : Tk, mrow, mask.stride_k);
    }
    if (scores) {
      float* dst = scores + ((b * H + h) * Tq + r0) * Tk;
      for (index_t i = 0; i < m; ++i) std::copy_n(block_scores + i * ld, Tk, dst + i * Tk);
    }
    Strided O(out + ((b * Tq + r0) * H + h) * dv, m, dv, Eigen::OuterStride<>(H * dv));
    O.noalias() = S * V;
  });
}

}  // namespace nnkern
