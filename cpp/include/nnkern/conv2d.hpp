// 2-D convolution forward (Keras Conv2D, and Conv1D as H = 1): NHWC input, Keras kernel layout,
// groups, explicit zero padding, fused bias + activation.
#pragma once
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

// common.hpp's ConvShape on (height, width).
struct Conv2DShape : ConvShape<2> {
  index_t out_h() const { return out(0); }
  index_t out_w() const { return out(1); }
};

// Fills a shape from Keras Conv2D arguments: pads from `padding` with TensorFlow's arithmetic
// (common.hpp's conv_output_length / conv_pad_before; the odd extra cell goes bottom/right).
// Validates the result (validate below), so the shape is safe to use when it returns.
Conv2DShape conv2d_shape(index_t batch, index_t in_h, index_t in_w, index_t in_channels, index_t kernel_h,
                         index_t kernel_w, index_t out_channels, index_t stride_h, index_t stride_w,
                         index_t dilation_h, index_t dilation_w, Padding padding, index_t groups = 1);

// common.hpp's validate_conv, naming "conv2d".
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

// y = act(conv(x, kernel) + bias + residual): a residual connection's sum (ResNet's Add before its ReLU)
// in the kernel's epilogue. residual (batch, out_h, out_w, out_channels): y itself (the sum is then
// made in place, sparing a model's dead residual a new output written over cold lines) or sharing no
// memory with y; nullptr: conv2d_nhwc.
// `packed_kernel` (may be null): conv2d_pack_kernel's copy of `kernel`, which the products then read
// instead of packing the kernel in every tile of every call; the result is bitwise the same.
void conv2d_nhwc_residual(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                          const Conv2DShape& s, Activation act, const float* packed_kernel = nullptr);

// Floats of conv2d_pack_kernel's copy of a (kernel_h, kernel_w, in_channels, out_channels) kernel; 0 when
// conv2d would not read one: groups > 1, the direct kernel's shapes (few input channels), or a build whose
// products pack per call (the AVX2 variant: Eigen's GEMM).
index_t conv2d_packed_kernel_floats(index_t kernel_h, index_t kernel_w, index_t in_channels, index_t out_channels,
                                    index_t groups = 1);
// packed (conv2d_packed_kernel_floats(...) > 0 floats, 64-byte aligned) = kernel in the products' layout.
void conv2d_pack_kernel(const float* kernel, index_t kernel_h, index_t kernel_w, index_t in_channels,
                        index_t out_channels, float* packed);

}  // namespace nnkern
