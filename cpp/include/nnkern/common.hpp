// Shared vocabulary of the kernels: padding modes, the output-size rules Keras uses, checked sizes.
// Every kernel and the Python layers take their shape arithmetic from here (exposed as nnkern._core
// functions), so a size rule is written once.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nnkern {

using index_t = std::int64_t;

enum class Padding { Valid, Same };

// Parses "valid" / "same" (case-insensitive); throws std::invalid_argument otherwise.
Padding padding_from_name(std::string_view name);
const char* padding_name(Padding p);

// Keras/TensorFlow output length of a convolution or pooling window along one axis.
// valid: ceil((in - dilated_kernel + 1) / stride), never negative; same: ceil(in / stride).
index_t conv_output_length(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding);

// Padding added before the first element on one axis for `same` (TensorFlow: the odd extra
// cell goes after, i.e. to the bottom/right); 0 for `valid`.
index_t conv_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding);

// Keras's deconv_output_length (conv transpose). output_padding < 0 means "not given".
index_t conv_transpose_output_length(index_t input, index_t kernel, index_t stride, index_t dilation,
                                     Padding padding, index_t output_padding);

// Conv transpose: cells cropped from the start of the full (uncropped) result on one axis, where
// input cell i's tap k lands at i * stride + k * dilation. Keras 3 (backend_utils.py,
// _convert_conv_transpose_padding_args_from_keras_to_jax) pads the stride-dilated input by
// left_pad = min(ceil(pad_len / 2), dilated_kernel - 1) before a correlation, which is a crop of
// dilated_kernel - 1 - left_pad; so 0 for `valid`, and never negative. output_padding < 0: not given.
index_t conv_transpose_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation,
                                  Padding padding, index_t output_padding);

// Product of sizes; throws std::invalid_argument naming `what` if a size is negative or the
// product overflows int64 (so a later allocation or pointer offset cannot wrap).
index_t checked_product(std::initializer_list<index_t> sizes, const char* what);

// Throws std::invalid_argument(message) when `ok` is false. Keeps argument checks one line each.
inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace nnkern
