// Pooling walks output rows (image, oh); each output pixel reduces its clipped window one input pixel
// at a time, as a whole channel row (contiguous in NHWC), so the inner loop is a plain loop over
// channels that the compiler vectorises. The first real cell initialises the accumulator, so padding
// never takes part and no -inf / zero fill pass is needed.
#include "nnkern/pooling.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

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

// The clipped window of one output pixel or voxel: planes x rows x cols cells from `start`, and the
// steps between planes, rows and cells (2-D pooling: one plane).
struct ClippedWindow {
  const float* start;
  index_t planes, rows, cols;
  index_t plane_step, row_step, cell_step;
};

// Reduces `Width` channels over a window into `out`. The fixed width keeps the accumulator in vector
// registers for the whole window (4 AVX registers for 32 channels), so each cell is one load + one
// op per 8 channels.
template <class Reduce, int Width>
inline void reduce_window(const ClippedWindow& w, index_t channel, float* out) {
  const float* first = w.start + channel;
  float acc[Width];
  for (int c = 0; c < Width; ++c) acc[c] = first[c];
  for (index_t p = 0; p < w.planes; ++p) {
    for (index_t i = 0; i < w.rows; ++i) {
      const float* cell = first + p * w.plane_step + i * w.row_step;
      for (index_t j = (p == 0 && i == 0 ? 1 : 0); j < w.cols; ++j) {
        const float* v = cell + j * w.cell_step;
        for (int c = 0; c < Width; ++c) acc[c] = Reduce::combine(acc[c], v[c]);
      }
    }
  }
  for (int c = 0; c < Width; ++c) out[c] = Reduce::finish(acc[c], w.planes * w.rows * w.cols);
}

// Every channel of one window.
template <class Reduce>
inline void reduce_channels(const ClippedWindow& w, index_t C, float* out) {
  index_t c = 0;
  for (; c + 32 <= C; c += 32) reduce_window<Reduce, 32>(w, c, out + c);
  for (; c + 8 <= C; c += 8) reduce_window<Reduce, 8>(w, c, out + c);
  for (; c < C; ++c) reduce_window<Reduce, 1>(w, c, out + c);
}

// The cells [lo, hi) of a window starting at `start` on an axis of `size` cells, clipped to it.
inline std::pair<index_t, index_t> clip(index_t start, index_t window, index_t size) {
  return {std::max<index_t>(start, 0), std::min(start + window, size)};
}

template <class Reduce>
void pool2d_nhwc(const float* x, float* y, const Pool2DShape& s) {
  const index_t C = s.channels;
  const index_t rows = s.batch * s.out[0];
  if (rows == 0 || s.out[1] == 0 || C == 0) return;
  const index_t image_size = s.in[0] * s.in[1] * C, in_row_size = s.in[1] * C, out_row_size = s.out[1] * C;
  // Pooling streams memory: each window cell is a 4-byte read.
  const int threads = threads_for_bytes(4.0 * s.window_ops());

  detail::run_parallel(threads, [&] {
    // Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 8)
    for (index_t row = 0; row < rows; ++row) {
      const index_t n = row / s.out[0], oh = row % s.out[0];
      const auto [h0, h1] = clip(oh * s.stride[0] - s.pad_before[0], s.kernel[0], s.in[0]);
      const float* image = x + n * image_size;
      float* out = y + row * out_row_size;
      for (index_t ow = 0; ow < s.out[1]; ++ow, out += C) {
        const auto [w0, w1] = clip(ow * s.stride[1] - s.pad_before[1], s.kernel[1], s.in[1]);
        reduce_channels<Reduce>({image + h0 * in_row_size + w0 * C, 1, h1 - h0, w1 - w0, 0, in_row_size, C}, C, out);
      }
    }
  });
}

// 3-D: output rows (image, od, oh), as pool2d_nhwc.
template <class Reduce>
void pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s) {
  const index_t C = s.channels;
  const index_t rows = s.batch * s.out[0] * s.out[1];
  if (rows == 0 || s.out[2] == 0 || C == 0) return;
  const index_t cell_step = C, row_step = s.in[2] * C, plane_step = s.in[1] * row_step;
  const index_t image_size = s.in[0] * plane_step, out_row_size = s.out[2] * C;
  const int threads = threads_for_bytes(4.0 * s.window_ops());

  detail::run_parallel(threads, [&] {
    // Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 8)
    for (index_t row = 0; row < rows; ++row) {
      const index_t n = row / (s.out[0] * s.out[1]), od = row / s.out[1] % s.out[0], oh = row % s.out[1];
      const auto [d0, d1] = clip(od * s.stride[0] - s.pad_before[0], s.kernel[0], s.in[0]);
      const auto [h0, h1] = clip(oh * s.stride[1] - s.pad_before[1], s.kernel[1], s.in[1]);
      const float* planes = x + n * image_size + d0 * plane_step + h0 * row_step;
      float* out = y + row * out_row_size;
      for (index_t ow = 0; ow < s.out[2]; ++ow, out += C) {
        const auto [w0, w1] = clip(ow * s.stride[2] - s.pad_before[2], s.kernel[2], s.in[2]);
        reduce_channels<Reduce>({planes + w0 * cell_step, d1 - d0, h1 - h0, w1 - w0, plane_step, row_step, cell_step},
                                C, out);
      }
    }
  });
}

// Fills the shape from Keras pooling arguments (strides[axis] == 0: the pool size) and validates it.
template <int N>
PoolShape<N> pool_shape(index_t batch, const typename Window<N>::Axes& in, index_t channels,
                        const typename Window<N>::Axes& pool, Padding padding, const typename Window<N>::Axes& strides) {
  PoolShape<N> s;
  s.batch = batch;
  s.in = in;
  s.channels = channels;
  s.kernel = pool;
  for (int a = 0; a < N; ++a) s.stride[a] = strides[a] == 0 ? pool[a] : strides[a];
  s.padding = padding;
  validate<N>(s, "pooling");  // before the length rules below compute with it
  for (int a = 0; a < N; ++a) {
    s.out[a] = conv_output_length(in[a], s.kernel[a], s.stride[a], 1, padding);
    s.pad_before[a] = conv_pad_before(in[a], s.kernel[a], s.stride[a], 1, padding);
  }
  validate(s);
  return s;
}

template <int N>
void validate_pool(const PoolShape<N>& s) {
  validate<N>(s, "pooling");
  require(s.channels >= 0, "pooling: channels must be >= 0, got " + std::to_string(s.channels));
  require(s.dilation == Window<N>::filled(1), "pooling: dilation must be 1, got " + axes_str(s.dilation));
  require(s.pad_after == Window<N>::filled(0), "pooling: pad_after must be 0 (windows are clipped)");
  for (int a = 0; a < N; ++a) {
    require(s.padding != Padding::Valid || s.in[a] >= s.kernel[a],
            "pooling: window " + axes_str(s.kernel) + " is larger than the input " + axes_str(s.in) +
                " with padding 'valid' (the output would be empty)");
    const index_t out = conv_output_length(s.in[a], s.kernel[a], s.stride[a], 1, s.padding);
    require(s.out[a] == out, "pooling: output size on axis " + std::to_string(a) + " must be " +
                                 std::to_string(out) + ", got " + std::to_string(s.out[a]));
    const index_t pad = conv_pad_before(s.in[a], s.kernel[a], s.stride[a], 1, s.padding);
    require(s.pad_before[a] == pad, "pooling: padding before on axis " + std::to_string(a) + " must be " +
                                        std::to_string(pad) + ", got " + std::to_string(s.pad_before[a]));
  }
  index_t in_size = s.batch, out_size = s.batch;  // batch * cells * channels, checked a factor at a time
  for (int a = 0; a < N; ++a) {
    in_size = checked_product({in_size, s.in[a]}, "pooling input");
    out_size = checked_product({out_size, s.out[a]}, "pooling output");
  }
  checked_product({in_size, s.channels}, "pooling input");
  checked_product({out_size, s.channels}, "pooling output");
}

}  // namespace

Pool3DShape pool3d_shape(index_t batch, const Window3D::Axes& in, index_t channels, const Window3D::Axes& pool,
                         Padding padding, const Window3D::Axes& strides) {
  return pool_shape<3>(batch, in, channels, pool, padding, strides);
}

void validate(const Pool3DShape& s) { validate_pool(s); }

Pool2DShape pool2d_shape(index_t batch, index_t in_h, index_t in_w, index_t channels, index_t pool_h,
                         index_t pool_w, Padding padding, index_t stride_h, index_t stride_w) {
  return pool_shape<2>(batch, {in_h, in_w}, channels, {pool_h, pool_w}, padding, {stride_h, stride_w});
}

void validate(const Pool2DShape& s) { validate_pool(s); }

void max_pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s) {
  detail::begin_call();
  pool3d_ndhwc<MaxReduce>(x, y, s);
}

void avg_pool3d_ndhwc(const float* x, float* y, const Pool3DShape& s) {
  detail::begin_call();
  pool3d_ndhwc<MeanReduce>(x, y, s);
}

void max_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s) {
  detail::begin_call();
  pool2d_nhwc<MaxReduce>(x, y, s);
}

void avg_pool2d_nhwc(const float* x, float* y, const Pool2DShape& s) {
  detail::begin_call();
  pool2d_nhwc<MeanReduce>(x, y, s);
}

void global_avg_pool_nwc(const float* x, float* y, index_t batch, index_t steps, index_t channels) {
  if (batch < 0 || steps < 0 || channels < 0)
    throw std::invalid_argument("global_avg_pool: negative size (batch " + std::to_string(batch) + ", steps " +
                                std::to_string(steps) + ", channels " + std::to_string(channels) + ")");
  detail::begin_call();
  if (batch == 0 || channels == 0) return;
  if (steps == 0) throw std::invalid_argument("global_avg_pool: no steps to average (steps == 0)");
  const index_t C = channels;
  // Tasks of (sample, channel chunk): a chunk's sums stay in registers / L1 over all the steps.
  constexpr index_t kChunk = 256;
  const index_t chunks = (C + kChunk - 1) / kChunk;
  const int threads = threads_for_bytes(4.0 * static_cast<double>(batch) * steps * C);
  detail::parallel_for(batch * chunks, threads, [&](index_t task) {
    const index_t n = task / chunks, c0 = task % chunks * kChunk, width = std::min(kChunk, C - c0);
    const float* image = x + n * steps * C + c0;
    float total[kChunk], block[kChunk];
    std::fill_n(total, width, 0.0f);
    for (index_t p0 = 0; p0 < steps; p0 += kGlobalPoolBlock) {
      const index_t p1 = std::min(steps, p0 + kGlobalPoolBlock);
      std::copy_n(image + p0 * C, width, block);
      for (index_t p = p0 + 1; p < p1; ++p) {
        const float* __restrict row = image + p * C;
        for (index_t c = 0; c < width; ++c) block[c] += row[c];
      }
      for (index_t c = 0; c < width; ++c) total[c] += block[c];
    }
    const float count = static_cast<float>(steps);
    for (index_t c = 0; c < width; ++c) y[n * C + c0 + c] = total[c] / count;
  });
}

}  // namespace nnkern
