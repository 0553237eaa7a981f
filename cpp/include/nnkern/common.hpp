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

// The sliding 2-D window over an NHWC batch that convolution, transposed convolution and pooling
// share: input extent, window (kernel or pool) size, strides, dilation and zero padding. Each
// kernel's shape struct derives from it and adds its channels and output size.
struct Window2D {
  index_t batch = 0;
  index_t in_h = 0, in_w = 0;
  index_t kernel_h = 1, kernel_w = 1;
  index_t stride_h = 1, stride_w = 1;
  index_t dilation_h = 1, dilation_w = 1;
  // Zero padding added around the input (conv2d, pooling), or for conv2d_transpose the cells cropped
  // from the start of its full result (pad_top / pad_left only).
  index_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;

  index_t dilated_kernel_h() const { return (kernel_h - 1) * dilation_h + 1; }
  index_t dilated_kernel_w() const { return (kernel_w - 1) * dilation_w + 1; }
};

// Throws std::invalid_argument starting with "fn: " unless batch and input sizes are >= 0, the
// window sizes, strides and dilations >= 1, the pads >= 0, and the dilated window, the padded input
// and their sum stay within int64 (so the size rules and the kernels' index arithmetic cannot overflow).
void validate(const Window2D& w, const char* fn);

// The 3-D window over an NDHWC batch (Conv3D, Conv3DTranspose, 3-D pooling): Window2D's fields with
// a depth axis in front, held per axis (index 0 depth, 1 height, 2 width) so that the kernels loop
// over the axes instead of spelling each one out.
struct Window3D {
  using Axes = std::array<index_t, 3>;
  index_t batch = 0;
  Axes in{0, 0, 0};
  Axes kernel{1, 1, 1};
  Axes stride{1, 1, 1};
  Axes dilation{1, 1, 1};
  // Zero padding before / after the input on each axis (conv3d, pooling: pad_after unused), or for
  // conv3d_transpose the cells cropped from the start of its full result (pad_before only).
  Axes pad_before{0, 0, 0};
  Axes pad_after{0, 0, 0};

  index_t dilated_kernel(int axis) const { return (kernel[axis] - 1) * dilation[axis] + 1; }
};

// validate(Window2D)'s checks on every axis of a Window3D.
void validate(const Window3D& w, const char* fn);

// Throws std::invalid_argument(message) when `ok` is false. Keeps argument checks one line each.
inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace nnkern
