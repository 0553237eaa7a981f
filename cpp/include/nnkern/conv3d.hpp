// 3-D convolution forward (Keras Conv3D) and transposed convolution (Keras Conv3DTranspose): NDHWC
// input, Keras kernel layouts, fused bias + activation. Shapes are common.hpp's Window3D plus channels.
#pragma once
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

// common.hpp's ConvShape on (depth, height, width).
struct Conv3DShape : ConvShape<3> {
  index_t out_voxels() const { return out(0) * out(1) * out(2); }
};

// Fills a shape from Keras Conv3D arguments (pads from `padding` with TensorFlow's arithmetic, as
// conv2d_shape) and validates it, so the shape is safe to use when it returns.
Conv3DShape conv3d_shape(index_t batch, const Window3D::Axes& in, index_t in_channels, const Window3D::Axes& kernel,
                         index_t out_channels, const Window3D::Axes& strides, const Window3D::Axes& dilation,
                         Padding padding, index_t groups = 1);

// common.hpp's validate_conv, naming "conv3d".
void validate(const Conv3DShape& s);

// y = act(conv3d(x, kernel) + bias).
//   x      (batch, in_d, in_h, in_w, in_channels) row-major (NDHWC)
//   kernel (kernel_d, kernel_h, kernel_w, in_channels / groups, out_channels) as Keras stores it
//   bias   (out_channels) or nullptr
//   y      (batch, out_d, out_h, out_w, out_channels)
void conv3d_ndhwc(const float* x, const float* kernel, const float* bias, float* y, const Conv3DShape& s,
                  Activation act);

// Conv3DTranspose: input cell i scatters tap k to output cell i * stride + k * dilation - pad_before
// (per axis; pad_before is the crop from the start of the full result, common.hpp's
// conv_transpose_pad_before); taps landing outside the output are dropped.
struct Conv3DTransposeShape : Window3D {
  index_t in_channels = 0;
  index_t out_channels = 0;
  Axes out{0, 0, 0};  // Keras's output size (common.hpp's conv_transpose_output_length)

  index_t out_voxels() const { return out[0] * out[1] * out[2]; }
};

// From Keras Conv3DTranspose arguments; output_padding[axis] < 0: not given (Keras's None). Validates.
Conv3DTransposeShape conv3d_transpose_shape(index_t batch, const Window3D::Axes& in, index_t in_channels,
                                            const Window3D::Axes& kernel, index_t out_channels,
                                            const Window3D::Axes& strides, const Window3D::Axes& dilation,
                                            Padding padding, const Window3D::Axes& output_padding = {-1, -1, -1});

// Throws std::invalid_argument for the window's errors, negative channels, an empty output size and
// sizes whose products overflow int64.
void validate(const Conv3DTransposeShape& s);

// y = act(conv_transpose3d(x, kernel) + bias).
//   x      (batch, in_d, in_h, in_w, in_channels) NDHWC
//   kernel (kernel_d, kernel_h, kernel_w, out_channels, in_channels) as Keras stores it (out before in)
//   bias   (out_channels) or nullptr
//   y      (batch, out_d, out_h, out_w, out_channels)
void conv3d_transpose_ndhwc(const float* x, const float* kernel, const float* bias, float* y,
                            const Conv3DTransposeShape& s, Activation act);

}  // namespace nnkern
