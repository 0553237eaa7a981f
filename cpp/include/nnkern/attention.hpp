// Scaled dot-product attention core (Keras MultiHeadAttention after its projections, and Attention
// with score_mode="dot"): per batch and head, softmax(scale * Q.K^T, masked) . V.
#pragma once
#include <cstdint>

#include "nnkern/common.hpp"

namespace nnkern {

// What a masked score becomes before the softmax. The three differ only on rows where every score is
// masked (elsewhere a masked score's weight is exactly 0 in each), and each is one Keras code path:
enum class MaskedScores {
  // where(mask, s, -1e9), softmax, then where(mask, p, 0): Keras's Softmax layer with a mask, which
  // MultiHeadAttention uses when it returns the scores or has dropout. A fully masked row is all 0.
  Zeroed,
  // where(mask, s, -0.7 * FLT_MAX), softmax: ops.dot_product_attention (JAX/TensorFlow backends),
  // MultiHeadAttention's path otherwise. A fully masked row is uniform (1 / kv_len).
  Uniform,
  // where(mask, s - 1e9, s), softmax: keras.layers.Attention / AdditiveAttention. A fully masked row is
  // the softmax of the shifted float32 scores (uniform when every |s| < 32).
  Shifted,
};

struct AttentionShape {
  index_t batch = 0;
  index_t heads = 1;
  index_t q_len = 0;    // Tq
  index_t kv_len = 0;   // Tk: key and value steps
  index_t key_dim = 0;  // features of query and key per head
  index_t value_dim = 0;
  // Floats from one step of q, k, v to the next (their time axis); 0 means heads * key_dim (heads *
  // value_dim for v), a contiguous array. A larger step reads q, k and v in place as column slices of a
  // wider row-major array (the output of one fused Q/K/V projection).
  index_t q_step = 0, k_step = 0, v_step = 0;
};

// A boolean mask broadcast to (batch, heads, q_len, kv_len): element (b, h, i, j) is
// data[b * stride_b + h * stride_h + i * stride_q + j * stride_k] (bytes; stride 0 on a broadcast axis).
// A nonzero byte keeps the score.
struct AttentionMask {
  const std::uint8_t* data = nullptr;
  index_t stride_b = 0, stride_h = 0, stride_q = 0, stride_k = 0;
};

// Throws std::invalid_argument for negative sizes, heads < 1, sizes whose products overflow, or a nonzero
// step shorter than a step's heads * dim.
void validate(const AttentionShape& s);

// out = softmax(scale * q.k^T [masked]) . v for every batch and head.
//   q      (batch, q_len, heads, key_dim) row-major (the layout of Keras's projected query), each step
//          q_step floats after the one before (see AttentionShape)
//   k      (batch, kv_len, heads, key_dim), steps k_step apart
//   v      (batch, kv_len, heads, value_dim), steps v_step apart
//   mask   optional (data nullptr: none); causal: also mask key step j > query step i
//   out    (batch, q_len, heads, value_dim)
//   scores nullptr, or (batch, heads, q_len, kv_len) to receive the softmax weights
// Work is split into (batch, head, block of query rows) tasks; a thread holds one block's scores.
void attention(const float* q, const float* k, const float* v, const AttentionMask& mask, bool causal,
               float scale, MaskedScores masked, float* out, float* scores, const AttentionShape& s);

}  // namespace nnkern
