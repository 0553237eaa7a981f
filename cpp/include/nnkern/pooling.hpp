// 2-D max / average pooling forward (Keras MaxPooling2D, AveragePooling2D; 1-D pooling is the same
// with height 1): NHWC float32, strides, `valid`/`same` with TensorFlow's padding arithmetic.
#pragma once
#include "nnkern/common.hpp"

namespace nnkern {

// Output cell (oh, ow) reduces the input cells (h, w) with
//   oh * stride_h - pad_top  <= h < that + kernel_h,   ow * stride_w - pad_left <= w < that + kernel_w,
// clipped to the input: padded cells never win a max and are not counted in an average (Keras/TF
// `same` semantics; every window holds at least one real cell).
// The window is common.hpp's Window2D with kernel_h / kernel_w the pool size and dilation 1;
// pad_top / pad_left follow common.hpp's conv_pad_before (pad_bottom / pad_right are unused: windows
// are clipped to the input).
struct Pool2DShape : Window2D {
  index_t channels = 0;
  Padding padding = Padding::Valid;
  index_t out_h = 0, out_w = 0;

  // Window cells visited (batch * out_h * out_w * channels * kernel_h * kernel_w, before clipping).
  double window_ops() const;
};

// Fills a shape from Keras pooling arguments, with Keras's output size and padding, then validates
// it (validate below), so the shape is safe to use when it returns. stride_h/stride_w == 0 means
// Keras's strides=None: the stride is the pool size.
Pool2DShape pool2d_shape(index_t batch, index_t in_h, index_t in_w, index_t channels, index_t pool_h,
                         index_t pool_w, Padding padding, index_t stride_h = 0, index_t stride_w = 0);

// Throws std::invalid_argument with a clear message for: the window's errors (validate(Window2D)),
// a dilation other than 1, negative channels,
// a window larger than a `valid` input (Keras: the output would be empty), paddings or output sizes
// that disagree with Keras's rule, and sizes whose products or extents overflow int64.
void validate(const Pool2DShape& s);

// x (batch, in_h, in_w, channels) row-major (NHWC), y (batch, out_h, out_w, channels).
// The shape must have passed validate(); x and y must not overlap.
void max_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s);  // NaN in a window gives NaN
void avg_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s);  // mean of the real cells

// 3-D pooling (Keras MaxPooling3D, AveragePooling3D) over NDHWC: the same window rule on each of the
// three axes of common.hpp's Window3D (pool size in `kernel`, dilation 1, pad_before from
// conv_pad_before, pad_after unused: windows are clipped to the input).
struct Pool3DShape : Window3D {
  index_t channels = 0;
  Padding padding = Padding::Valid;
  Axes out{0, 0, 0};

  double window_ops() const;  // as Pool2DShape's
};

// From Keras pooling arguments (strides[axis] == 0: the pool size, Keras's strides=None); validates.
Pool3DShape pool3d_shape(index_t batch, const Window3D::Axes& in, index_t channels, const Window3D::Axes& pool,
                         Padding padding, const Window3D::Axes& strides = {0, 0, 0});

// validate(Pool2DShape)'s checks on three axes.
void validate(const Pool3DShape& s);

// x (batch, in_d, in_h, in_w, channels) NDHWC, y (batch, out_d, out_h, out_w, channels); no overlap.
void max_pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s);
void avg_pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s);

}  // namespace nnkern
