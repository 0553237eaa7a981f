// Activations with Keras 3 definitions, shared by every fused kernel and by nnkern.activations.
#pragma once
#include <string_view>
#include "nnkern/common.hpp"

namespace nnkern {

enum class Activation {
  Linear, Relu, Sigmoid, Tanh, Softmax, LogSoftmax, Softplus, Softsign, Elu, Selu, Gelu,
  Swish, HardSigmoid, HardSwish, Exponential, LeakyRelu, Relu6, Mish
};

// Keras names and aliases ("linear", "relu", "silu" == "swish", "hard_silu" == "hard_swish", ...);
// throws std::invalid_argument listing the known names for anything else.
Activation activation_from_name(std::string_view name);
const char* activation_name(Activation a);
// Comma-separated list of accepted names, for error messages and nnkern.activations.
const char* activation_names();

// y[r, c] = act(y[r, c] + bias[c]) in place over a rows x cols row-major block. bias may be null.
// Softmax / log_softmax act along each row (the last axis).
void bias_activation(float* y, index_t rows, index_t cols, const float* bias, Activation act);

// act applied in place to n contiguous values (elementwise activations only; softmax needs rows).
void activation_inplace(float* y, index_t n, Activation act);

}  // namespace nnkern
