#include "nnkern/common.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace nnkern {

Padding padding_from_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "valid") return Padding::Valid;
  if (lower == "same") return Padding::Same;
  throw std::invalid_argument("padding must be 'valid' or 'same', got '" + std::string(name) + "'");
}

const char* padding_name(Padding p) { return p == Padding::Valid ? "valid" : "same"; }

static index_t dilated(index_t kernel, index_t dilation) { return (kernel - 1) * dilation + 1; }

index_t conv_output_length(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding) {
  if (padding == Padding::Same) return input <= 0 ? 0 : (input - 1) / stride + 1;
  const index_t k = dilated(kernel, dilation);
  return input < k ? 0 : (input - k) / stride + 1;
}

index_t conv_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding) {
  if (padding == Padding::Valid) return 0;
  const index_t out = conv_output_length(input, kernel, stride, dilation, padding);
  const index_t total = std::max<index_t>((out - 1) * stride + dilated(kernel, dilation) - input, 0);
  return total / 2;
}

index_t conv_transpose_output_length(index_t input, index_t kernel, index_t stride, index_t dilation,
                                     Padding padding, index_t output_padding) {
  const index_t k = dilated(kernel, dilation);
  if (output_padding < 0) {
    return padding == Padding::Valid ? input * stride + std::max<index_t>(k - stride, 0) : input * stride;
  }
  const index_t pad = padding == Padding::Same ? k / 2 : 0;
  return (input - 1) * stride + k - 2 * pad + output_padding;
}

index_t conv_transpose_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation,
                                  Padding padding, index_t output_padding) {
  (void)input;  // Keras's rule does not depend on it; kept for symmetry with conv_pad_before
  if (padding == Padding::Valid) return 0;
  const index_t k = dilated(kernel, dilation);
  // Total padding JAX adds so the output length is Keras's (see conv_transpose_output_length).
  const index_t pad_len = output_padding < 0 ? stride + k - 2 : k + k % 2 - 2 + output_padding;
  const index_t left_pad = std::min(pad_len / 2 + pad_len % 2, k - 1);
  return k - 1 - left_pad;
}

index_t checked_product(std::initializer_list<index_t> sizes, const char* what) {
  index_t total = 1;
  for (index_t s : sizes) {
    if (s < 0) throw std::invalid_argument(std::string(what) + ": negative size " + std::to_string(s));
    if (__builtin_mul_overflow(total, s, &total))
      throw std::invalid_argument(std::string(what) + ": sizes are too large (element count overflows int64)");
  }
  return total;
}

}  // namespace nnkern
