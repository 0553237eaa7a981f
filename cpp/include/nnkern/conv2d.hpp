// 2-D convolution forward (Keras Conv2D, and Conv1D as H = 1): NHWC input, Keras kernel layout,
// groups, explicit zero padding, fused bias + activation.
#pragma once
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

// The window (common.hpp's Window2D) plus channels and groups. The pads are explicit so that Keras's
// `same` (odd extra cell at the bottom/right) and Conv1D's `causal` (all of it on the left) are the
// same kernel.
struct Conv2DShape : Window2D {
  index_t in_channels = 0;
  index_t out_channels = 0;
  index_t groups = 1;

  index_t kernel_in() const { return groups > 0 ? in_channels / groups : 0; }  // kernel dim 2
  // Derived from the padded input: how many windows fit; 0 when none does.
  index_t out_h() const { return windows(0); }
  index_t out_w() const { return windows(1); }
};

// Fills a shape from Keras Conv2D arguments: pads from `padding` with TensorFlow's arithmetic
// (common.hpp's conv_output_length / conv_pad_before; the odd extra cell goes bottom/right).
// Validates the result (validate below), so the shape is safe to use when it returns.
Conv2DShape conv2d_shape(index_t batch, index_t in_h, index_t in_w, index_t in_channels, index_t kernel_h,
                         index_t kernel_w, index_t out_channels, index_t stride_h, index_t stride_w,
                         index_t dilation_h, index_t dilation_w, Padding padding, index_t groups = 1);

// Throws std::invalid_argument with a clear message for: the window's errors (validate(Window)),
// groups < 1, channels not divisible by groups, a kernel that does not
// fit the padded (non-empty) input, and sizes whose products or padded extents overflow int64.
void validate(const Conv2DShape& s);

// y = act(conv(x, kernel) + bias).
//   x      (batch, in_h, in_w, in_channels) row-major (NHWC)
//   kernel (kernel_h, kernel_w, in_channels / groups, out_channels) as Keras stores it; output
//          channel o belongs to group o / (out_channels / groups)
//   bias   (out_channels) or nullptr
//   y      (batch, out_h, out_w, out_channels)
// The shape must have passed validate().
void conv2d_nhwc(const float* x, const float* kernel, const float* bias, float* y, const Conv2DShape& s,
                 Activation act);

}  // namespace nnkern
