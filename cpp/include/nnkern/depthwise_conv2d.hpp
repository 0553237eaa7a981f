// Depthwise 2-D convolution forward (Keras DepthwiseConv2D, and DepthwiseConv1D as H = 1): each input
// channel convolved with its own depth_multiplier filters; NHWC input, Keras kernel layout, explicit
// zero padding, fused bias + activation.
#pragma once
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"
#include "nnkern/conv2d.hpp"

namespace nnkern {

// A depthwise convolution is a grouped convolution with one group per input channel, so its shape is
// a Conv2DShape with groups == in_channels and out_channels == in_channels * depth_multiplier (the
// same pads, output sizes and checks). With no input channels, groups is 1 and the output is empty.
using DepthwiseConv2DShape = Conv2DShape;

// Fills a shape from Keras DepthwiseConv2D arguments (pads with TensorFlow's `same` arithmetic, as
// conv2d_shape) and validates it; throws std::invalid_argument for bad sizes or a depth_multiplier < 1.
DepthwiseConv2DShape depthwise_conv2d_shape(index_t batch, index_t in_h, index_t in_w, index_t channels,
                                            index_t kernel_h, index_t kernel_w, index_t depth_multiplier,
                                            index_t stride_h, index_t stride_w, index_t dilation_h,
                                            index_t dilation_w, Padding padding);

// depth_multiplier of a depthwise shape (out_channels / in_channels; 0 without channels).
inline index_t depth_multiplier(const DepthwiseConv2DShape& s) {
  return s.in_channels > 0 ? s.out_channels / s.in_channels : 0;
}

// y = act(depthwise_conv(x, kernel) + bias).
//   x      (batch, in_h, in_w, channels) row-major (NHWC)
//   kernel (kernel_h, kernel_w, channels, depth_multiplier) as Keras stores it; output channel
//          c * depth_multiplier + m is input channel c convolved with kernel[..., c, m]
//   bias   (channels * depth_multiplier) or nullptr
//   y      (batch, out_h, out_w, channels * depth_multiplier)
// The shape must come from depthwise_conv2d_shape (or pass validate() with groups == in_channels).
void depthwise_conv2d_nhwc(const float* x, const float* kernel, const float* bias, float* y,
                           const DepthwiseConv2DShape& s, Activation act);

// y = act(depthwise_conv(expand_act(x . expand_kernel + expand_bias), kernel) + bias): a 1x1 expansion
// and the depthwise convolution after it (MobileNetV2's and EfficientNet's inverted residual blocks) in
// one pass, the expanded rows made as the depthwise rows need them and kept in a few rows of cache, so
// the expanded tensor (4.8 MB at 112x112x96) is never written to memory and read back.
//   x             (batch, in_h, in_w, in_channels) row-major (NHWC)
//   expand_kernel (in_channels, s.in_channels): the 1x1 kernel; expand_bias (s.in_channels) or nullptr
//   kernel, bias, y, s: as depthwise_conv2d_nhwc on the expanded tensor, with a depth_multiplier of 1
// Whether expand_depthwise_conv2d_nhwc is faster than the two separate calls, for `batch` images of
// height x width expanded from in_channels to expanded_channels (true when the expanded tensor outgrows
// the L2 and the 1x1 runs on the direct kernel).
bool expand_depthwise_pays(index_t batch, index_t height, index_t width, index_t in_channels,
                           index_t expanded_channels);

void expand_depthwise_conv2d_nhwc(const float* x, index_t in_channels, const float* expand_kernel,
                                  const float* expand_bias, Activation expand_act, const float* kernel,
                                  const float* bias, float* y, const DepthwiseConv2DShape& s, Activation act);

}  // namespace nnkern
