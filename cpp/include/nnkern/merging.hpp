// Merge-layer arithmetic the plain numpy broadcast does slowly: a squeeze-and-excitation block's
// Multiply of a feature map by per-sample channel weights (numpy runs it one row of channels at a time).
#pragma once
#include "nnkern/common.hpp"

namespace nnkern {

// Keras Multiply()([x, scale]) with scale (batch, 1, ..., 1, channels) broadcast over x's steps:
// y[n, p, c] = x[n, p, c] * scale[n, c] for x, y (batch, steps, channels), scale (batch, channels).
// Throws std::invalid_argument for negative sizes. y may be x (in place); neither may overlap scale.
void multiply_channels_nwc(const float* x, const float* scale, float* y, index_t batch, index_t steps,
                           index_t channels);

}  // namespace nnkern
