// 2-D and 3-D max / average pooling forward (Keras MaxPooling2D/3D, AveragePooling2D/3D; 1-D pooling
// is 2-D with height 1): channels-last float32, strides, `valid`/`same` with TensorFlow's padding
// arithmetic.
#pragma once
#include "nnkern/common.hpp"

namespace nnkern {

// The pooling window on N axes (2-D: height, width; 3-D: depth, height, width): common.hpp's Window
// with `kernel` the pool size and dilation 1. Output cell o reduces, on each axis, the input cells
//   o * stride - pad_before <= i < that + kernel,
// clipped to the input: padded cells never win a max and are not counted in an average (Keras/TF
// `same` semantics; every window holds at least one real cell). pad_before follows common.hpp's
// conv_pad_before; pad_after is unused (0): windows are clipped to the input.
template <int N>
struct PoolShape : Window<N> {
  using typename Window<N>::Axes;
  index_t channels = 0;
  Padding padding = Padding::Valid;
  Axes out = Window<N>::filled(0);  // Keras's output size (common.hpp's conv_output_length)

  // Window cells visited (batch * out cells * channels * pool cells, before clipping).
  double window_ops() const {
    double ops = static_cast<double>(this->batch) * channels;
    for (int a = 0; a < N; ++a) ops *= static_cast<double>(out[a]) * this->kernel[a];
    return ops;
  }
};

using Pool2DShape = PoolShape<2>;
using Pool3DShape = PoolShape<3>;

// Fills a shape from Keras pooling arguments, with Keras's output size and padding, then validates
// it (validate below), so the shape is safe to use when it returns. stride_h/stride_w == 0 means
// Keras's strides=None: the stride is the pool size.
Pool2DShape pool2d_shape(index_t batch, index_t in_h, index_t in_w, index_t channels, index_t pool_h,
                         index_t pool_w, Padding padding, index_t stride_h = 0, index_t stride_w = 0);

// Throws std::invalid_argument with a clear message for: the window's errors (validate(Window)),
// a dilation other than 1, negative channels,
// a window larger than a `valid` input (Keras: the output would be empty), paddings or output sizes
// that disagree with Keras's rule, and sizes whose products or extents overflow int64.
void validate(const Pool2DShape& s);

// x (batch, in_h, in_w, channels) row-major (NHWC), y (batch, out_h, out_w, channels).
// The shape must have passed validate(); x and y must not overlap.
void max_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s);  // NaN in a window gives NaN
void avg_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s);  // mean of the real cells

// From Keras pooling arguments (strides[axis] == 0: the pool size, Keras's strides=None); validates.
Pool3DShape pool3d_shape(index_t batch, const Window3D::Axes& in, index_t channels, const Window3D::Axes& pool,
                         Padding padding, const Window3D::Axes& strides = {0, 0, 0});

void validate(const Pool3DShape& s);

// x (batch, in_d, in_h, in_w, channels) NDHWC, y (batch, out_d, out_h, out_w, channels); no overlap.
void max_pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s);
void avg_pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s);

// Keras GlobalAveragePooling1D/2D/3D (channels_last): y (batch, channels) = the mean over `steps` of x
// (batch, steps, channels), where steps are the time steps, pixels or voxels. The sum runs in blocks of
// kGlobalPoolBlock steps, each block summed in order and the block sums added in order (error growing
// with steps / block + block, not with steps). Throws std::invalid_argument for negative sizes or
// steps == 0 with batch * channels > 0 (a mean of nothing); x and y must not overlap.
constexpr index_t kGlobalPoolBlock = 64;
void global_avg_pool_nwc(const float* x, float* y, index_t batch, index_t steps, index_t channels);

}  // namespace nnkern
