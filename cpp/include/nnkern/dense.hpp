// Dense (fully connected) forward: y = act(x . W + b), Keras layout.
#pragma once
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

struct DenseShape {
  index_t batch;         // M: rows of x and y
  index_t in_features;   // K: columns of x, rows of W
  index_t out_features;  // N: columns of W and y
};

// Throws std::invalid_argument for negative sizes or sizes whose products overflow.
void validate(const DenseShape& s);

// x (M, K) row-major, kernel (K, N) row-major as Keras stores it, bias (N) or nullptr, y (M, N).
void dense(const float* x, const float* kernel, const float* bias, float* y, const DenseShape& s,
           Activation act);

}  // namespace nnkern
