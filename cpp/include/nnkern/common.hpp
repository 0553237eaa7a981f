// Shared vocabulary of the kernels: padding modes, the output-size rules Keras uses, checked sizes.
// Every kernel and the Python layers take their shape arithmetic from here (exposed as nnkern._core
// functions), so a size rule is written once.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nnkern {

using index_t = std::int64_t;

enum class Padding { Valid, Same };

// Parses "valid" / "same" (case-insensitive); throws std::invalid_argument otherwise.
Padding padding_from_name(std::string_view name);
const char* padding_name(Padding p);

// The size rules below throw std::invalid_argument for an input < 0, a kernel, stride or dilation < 1,
// and results that overflow int64; they never divide by zero.

// Keras/TensorFlow output length of a convolution or pooling window along one axis.
// valid: ceil((in - dilated_kernel + 1) / stride), never negative; same: ceil(in / stride).
index_t conv_output_length(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding);

// Padding added before the first element on one axis for `same` (TensorFlow: the odd extra
// cell goes after, i.e. to the bottom/right); 0 for `valid`.
index_t conv_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding);

// Keras's deconv_output_length (conv transpose). output_padding < 0 means "not given"; given, it
// must be < stride (Keras).
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

// a + b + c; throws std::invalid_argument naming `what` if it overflows int64.
index_t checked_sum(index_t a, index_t b, index_t c, const char* what);

// (kernel - 1) * dilation + 1, the reach of a dilated window; checked like conv_output_length.
index_t dilated_kernel(index_t kernel, index_t dilation);

// Padding after the input on one axis for `same`: how far the last output window reaches past the
// input (TensorFlow puts the odd extra cell here); 0 for `valid` or an empty output.
index_t conv_pad_after(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding);

// How many windows of reach `dilated_kernel` fit `padded` cells at `stride`; 0 when none does.
// The output length of a convolution whose pads are already explicit (Conv1D's `causal` included).
inline index_t windows_in(index_t padded, index_t dilated_kernel, index_t stride) {
  return padded < dilated_kernel ? 0 : (padded - dilated_kernel) / stride + 1;
}

// The sliding N-D window over a channels-last batch that convolution, transposed convolution and
// pooling share: input extent, window (kernel or pool) size, strides, dilation and zero padding, per
// spatial axis (2-D: 0 height, 1 width; 3-D: 0 depth, 1 height, 2 width), so the kernels loop over the
// axes. Each kernel's shape struct derives from it and adds its channels and output size.
template <int N>
struct Window {
  using Axes = std::array<index_t, N>;
  static constexpr Axes filled(index_t value) {
    Axes a{};
    for (auto& v : a) v = value;
    return a;
  }

  index_t batch = 0;
  Axes in = filled(0);
  Axes kernel = filled(1);
  Axes stride = filled(1);
  Axes dilation = filled(1);
  // Zero padding before / after the input on each axis (convolution, pooling: pad_after unused), or
  // for a transposed convolution the cells cropped from the start of its full result (pad_before only).
  Axes pad_before = filled(0);
  Axes pad_after = filled(0);

  index_t dilated_kernel(int axis) const { return (kernel[axis] - 1) * dilation[axis] + 1; }
  // Windows that fit the padded input on `axis` (windows_in).
  index_t windows(int axis) const {
    return windows_in(in[axis] + pad_before[axis] + pad_after[axis], dilated_kernel(axis), stride[axis]);
  }
};

using Window2D = Window<2>;
using Window3D = Window<3>;

// Throws std::invalid_argument starting with "fn: " unless batch and input sizes are >= 0, the
// window sizes, strides and dilations >= 1, the pads >= 0, and the dilated window, the padded input
// and their sum stay within int64 (so the size rules and the kernels' index arithmetic cannot overflow).
// Defined for N = 2 and 3 (common.cpp).
template <int N>
void validate(const Window<N>& w, const char* fn);

// Keras's convolution pads on every axis of `w` (conv_pad_before / conv_pad_after; all 0 for `valid`).
// w's sizes must be valid (validate above).
template <int N>
void set_conv_padding(Window<N>& w, Padding padding) {
  for (int a = 0; a < N; ++a) {
    w.pad_before[a] = conv_pad_before(w.in[a], w.kernel[a], w.stride[a], w.dilation[a], padding);
    w.pad_after[a] = conv_pad_after(w.in[a], w.kernel[a], w.stride[a], w.dilation[a], padding);
  }
}

// A convolution's shape on N axes (Conv2D, Conv3D; Conv1D and depthwise are 2-D): the window plus
// channels and groups. Output cell o reads input cells o * stride - pad_before + k * dilation (per
// axis); taps in the padding are zero. The pads are explicit so that Keras's `same` (odd extra cell
// after) and Conv1D's `causal` (all of it before) are the same kernel.
template <int N>
struct ConvShape : Window<N> {
  index_t in_channels = 0;
  index_t out_channels = 0;
  index_t groups = 1;

  index_t kernel_in() const { return groups > 0 ? in_channels / groups : 0; }  // the kernel's axis N
  // How many windows fit the padded input on `axis`; 0 when none does.
  index_t out(int axis) const { return this->windows(axis); }
};

// Fills `s` from Keras convolution arguments: the window (its pads ignored), channels, groups, and
// Keras's pads for `padding` (set_conv_padding); then validates it (validate_conv), so the shape is
// safe to use when it returns.
template <int N>
void set_conv_shape(ConvShape<N>& s, const Window<N>& window, index_t in_channels, index_t out_channels,
                    index_t groups, Padding padding, const char* fn);

// Throws std::invalid_argument starting with "fn: " for: the window's errors (validate(Window)),
// negative channels, groups < 1, channels not divisible by groups, a kernel that does not fit the
// padded (non-empty) input, and sizes whose products overflow int64. Defined for N = 2 and 3.
template <int N>
void validate_conv(const ConvShape<N>& s, const char* fn);

// "(a, b, ...)": an axes value in error messages.
template <std::size_t N>
std::string axes_str(const std::array<index_t, N>& a) {
  std::string s = "(";
  for (std::size_t i = 0; i < N; ++i) s += (i ? ", " : "") + std::to_string(a[i]);
  return s + ")";
}

// Throws std::invalid_argument(message) when `ok` is false. Keeps argument checks one line each.
inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace nnkern
