// Layer normalization over the last axis (Keras LayerNormalization with axis=-1, no rms_scaling), with an
// optional residual added first (the Add before it in a Transformer block).
#pragma once
#include "nnkern/common.hpp"

namespace nnkern {

struct LayerNormShape {
  index_t rows = 0;  // every axis but the last, flattened
  index_t cols = 0;  // the normalized (last) axis
};

// Throws std::invalid_argument for negative sizes or sizes whose product overflows.
void validate(const LayerNormShape& s);

// Per row, of s = x + residual (float32 sum; s = x when residual is null):
//   mean = sum(s) / cols, var = sum((s - mean)^2) / cols, inv = 1 / sqrt(var + epsilon) * gamma,
//   y = s * inv + (beta - mean * inv)
// which is Keras's order of operations (mean, variance as the mean of squared deviations, then
// x * inv + res). gamma / beta (cols) may be null (scale / center off). x, residual and y are
// (rows, cols) row-major; y may be x or residual (in place). Rows are split over threads; each row's
// result depends on its values only (not its address nor the thread count).
void layer_norm(const float* x, const float* residual, const float* gamma, const float* beta, float epsilon,
                float* y, const LayerNormShape& s);

}  // namespace nnkern
