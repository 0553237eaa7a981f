// Pooling walks output rows (image, oh); each output pixel reduces its clipped window one input pixel
// at a time, as a whole channel row (contiguous in NHWC), so the inner loop is a plain loop over
// channels that the compiler vectorises. The first real cell initialises the accumulator, so padding
// never takes part and no -inf / zero fill pass is needed.
#include "nnkern/pooling.hpp"

#include <algorithm>
#include <string>

#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

std::string pair_str(index_t a, index_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

// Keeps NaN like lax.max (Keras's JAX backend); std::max would drop a NaN arriving as `v`.
struct MaxReduce {
  static float combine(float acc, float v) { return (v > acc || v != v) ? v : acc; }
  static float finish(float acc, index_t) { return acc; }
};

struct MeanReduce {
  static float combine(float acc, float v) { return acc + v; }
  // Keras divides the window sum by the count of real cells.
  static float finish(float acc, index_t count) { return acc / static_cast<float>(count); }
};

// Reduces `Width` channels over a window of rows x cols cells starting at `window` into `out`. The
// fixed width keeps the accumulator in vector registers for the whole window (4 AVX registers for
// 32 channels), so each cell is one load + one op per 8 channels.
template <class Reduce, int Width>
inline void reduce_window(const float* window, index_t rows, index_t cols, index_t row_step, index_t cell_step,
                          float* out) {
  float acc[Width];
  for (int c = 0; c < Width; ++c) acc[c] = window[c];
  for (index_t i = 0; i < rows; ++i) {
    const float* cell = window + i * row_step;
    for (index_t j = (i == 0 ? 1 : 0); j < cols; ++j) {
      const float* v = cell + j * cell_step;
      for (int c = 0; c < Width; ++c) acc[c] = Reduce::combine(acc[c], v[c]);
    }
  }
  for (int c = 0; c < Width; ++c) out[c] = Reduce::finish(acc[c], rows * cols);
}

template <class Reduce>
void pool2d_nhwc(const float* x, float* y, const Pool2DShape& s) {
  const index_t C = s.channels;
  const index_t rows = s.batch * s.out_h;
  if (rows == 0 || s.out_w == 0 || C == 0) return;
  const index_t image_size = s.in_h * s.in_w * C, in_row_size = s.in_w * C, out_row_size = s.out_w * C;
  // Pooling streams memory: each window cell is a 4-byte read.
  const int threads = threads_for_bytes(4.0 * s.window_ops());

  detail::run_parallel(threads, [&] {
    // Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 8)
    for (index_t row = 0; row < rows; ++row) {
      const index_t n = row / s.out_h, oh = row % s.out_h;
      const index_t h_start = oh * s.stride_h - s.pad_top;
      const index_t h0 = std::max<index_t>(h_start, 0), h1 = std::min(h_start + s.kernel_h, s.in_h);
      const float* image = x + n * image_size;
      float* out = y + row * out_row_size;
      for (index_t ow = 0; ow < s.out_w; ++ow, out += C) {
        const index_t w_start = ow * s.stride_w - s.pad_left;
        const index_t w0 = std::max<index_t>(w_start, 0), w1 = std::min(w_start + s.kernel_w, s.in_w);
        const float* window = image + h0 * in_row_size + w0 * C;
        index_t c = 0;
        for (; c + 32 <= C; c += 32) reduce_window<Reduce, 32>(window + c, h1 - h0, w1 - w0, in_row_size, C, out + c);
        for (; c + 8 <= C; c += 8) reduce_window<Reduce, 8>(window + c, h1 - h0, w1 - w0, in_row_size, C, out + c);
        for (; c < C; ++c) reduce_window<Reduce, 1>(window + c, h1 - h0, w1 - w0, in_row_size, C, out + c);
      }
    }
  });
}

}  // namespace

double Pool2DShape::window_ops() const {
  return static_cast<double>(batch) * out_h * out_w * channels * kernel_h * kernel_w;
}

Pool2DShape pool2d_shape(index_t batch, index_t in_h, index_t in_w, index_t channels, index_t pool_h,
                         index_t pool_w, Padding padding, index_t stride_h, index_t stride_w) {
  Pool2DShape s;
  s.batch = batch;
  s.in_h = in_h;
  s.in_w = in_w;
  s.channels = channels;
  s.kernel_h = pool_h;
  s.kernel_w = pool_w;
  s.stride_h = stride_h == 0 ? pool_h : stride_h;
  s.stride_w = stride_w == 0 ? pool_w : stride_w;
  s.padding = padding;
  validate(static_cast<const Window2D&>(s), "pooling");  // before the length rules below compute with it
  s.out_h = conv_output_length(in_h, s.kernel_h, s.stride_h, 1, padding);
  s.out_w = conv_output_length(in_w, s.kernel_w, s.stride_w, 1, padding);
  s.pad_top = conv_pad_before(in_h, s.kernel_h, s.stride_h, 1, padding);
  s.pad_left = conv_pad_before(in_w, s.kernel_w, s.stride_w, 1, padding);
  validate(s);
  return s;
}

void validate(const Pool2DShape& s) {
  validate(static_cast<const Window2D&>(s), "pooling");
  require(s.channels >= 0, "pooling: channels must be >= 0, got " + std::to_string(s.channels));
  require(s.dilation_h == 1 && s.dilation_w == 1,
          "pooling: dilation must be 1, got " + pair_str(s.dilation_h, s.dilation_w));
  require(s.pad_bottom == 0 && s.pad_right == 0, "pooling: pad_bottom and pad_right must be 0 (windows are clipped)");
  require(s.padding != Padding::Valid || (s.in_h >= s.kernel_h && s.in_w >= s.kernel_w),
          "pooling: window " + pair_str(s.kernel_h, s.kernel_w) + " is larger than the input " +
              pair_str(s.in_h, s.in_w) + " with padding 'valid' (the output would be empty)");
  const index_t out_h = conv_output_length(s.in_h, s.kernel_h, s.stride_h, 1, s.padding);
  const index_t out_w = conv_output_length(s.in_w, s.kernel_w, s.stride_w, 1, s.padding);
  require(s.out_h == out_h && s.out_w == out_w, "pooling: output size must be " + pair_str(out_h, out_w) +
                                                    ", got " + pair_str(s.out_h, s.out_w));
  const index_t pad_top = conv_pad_before(s.in_h, s.kernel_h, s.stride_h, 1, s.padding);
  const index_t pad_left = conv_pad_before(s.in_w, s.kernel_w, s.stride_w, 1, s.padding);
  require(s.pad_top == pad_top && s.pad_left == pad_left, "pooling: padding before must be " +
                                                              pair_str(pad_top, pad_left) + ", got " +
                                                              pair_str(s.pad_top, s.pad_left));
  checked_product({s.batch, s.in_h, s.in_w, s.channels}, "pooling input");
  checked_product({s.batch, s.out_h, s.out_w, s.channels}, "pooling output");
}

void max_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s) {
  detail::begin_call();
  pool2d_nhwc<MaxReduce>(x, y, s);
}

void avg_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s) {
  detail::begin_call();
  pool2d_nhwc<MeanReduce>(x, y, s);
}

}  // namespace nnkern
