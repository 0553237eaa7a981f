// 2-D transposed convolution forward (Keras Conv2DTranspose): NHWC input, Keras kernel layout
// (kh, kw, out, in), strides, dilation, `valid`/`same` with optional output_padding, fused bias +
// activation.
#pragma once
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

// Input cell i (per axis: 0 height, 1 width) scatters tap k to output cell
// i * stride + k * dilation - pad_before; taps landing outside [0, out) are dropped, output cells no
// tap reaches hold act(bias).
// The window is common.hpp's Window2D; its pad_before is cropped from the start of the full result
// (Keras's rule is common.hpp's conv_transpose_pad_before); pad_after is unused (0).
struct Conv2DTransposeShape : Window2D {
  index_t in_channels = 0;
  index_t out_channels = 0;
  Axes out{0, 0};  // Keras's output size (common.hpp's conv_transpose_output_length)

  // 2 * N * H * W * kh * kw * in * out: the multiply-adds of the scatter, in flops.
  double flops() const;
};

// Fills a shape from Keras Conv2DTranspose arguments (output_padding_h/w < 0: not given, as Keras's
// None) with Keras's output size and start crop, then validates it (validate below), so the shape is
// safe to use when it returns. Keras also requires output_padding < stride: checked here too.
Conv2DTransposeShape conv2d_transpose_shape(index_t batch, index_t in_h, index_t in_w, index_t in_channels,
                                            index_t kernel_h, index_t kernel_w, index_t out_channels,
                                            index_t stride_h, index_t stride_w, index_t dilation_h,
                                            index_t dilation_w, Padding padding, index_t output_padding_h = -1,
                                            index_t output_padding_w = -1);

// Throws std::invalid_argument with a clear message for: the window's errors (validate(Window)),
// negative channels, an empty output size (an out < 1), and sizes whose
// products or extents overflow int64.
void validate(const Conv2DTransposeShape& s);

// y = act(conv_transpose(x, kernel) + bias).
//   x      (batch, in_h, in_w, in_channels) row-major (NHWC)
//   kernel (kernel_h, kernel_w, out_channels, in_channels) as Keras stores it (out before in)
//   bias   (out_channels) or nullptr
//   y      (batch, out_h, out_w, out_channels)
// The shape must have passed validate().
void conv2d_transpose_nhwc(const float* x, const float* kernel, const float* bias, float* y,
                           const Conv2DTransposeShape& s, Activation act);

}  // namespace nnkern
