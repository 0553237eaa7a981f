// Conv2DTranspose, two ways chosen per shape. Up to 64 input channels (and output channels in whole
// vectors): the direct gather form below (conv_transpose_direct). Otherwise
// GEMM + col2im: the input pixels of a tile, viewed as a (pixels, in) matrix, times
// the kernel viewed as (in, kh * kw * out) give every tap's contribution of every pixel ("columns");
// those are then added into the output at (i * stride + k * dilation - crop). The output is split
// into bands of rows (per image, and within an image when there are more threads than images), each
// owned by one thread, so the scatter never races; a band recomputes the few input rows it shares
// with its neighbour.
#include "nnkern/conv2d_transpose.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <cstring>
#include <string>
#include <vector>

#include "direct_conv.hpp"
#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

index_t floor_div(index_t a, index_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
index_t ceil_div(index_t a, index_t b) { return -floor_div(-a, b); }

// Columns of a tile are sized to stay in L2 between the GEMM that writes them and the scatter that
// reads them; but a tile keeps enough pixels for the GEMM to run near full speed.
constexpr index_t kTileBytes = 256 * 1024;
constexpr index_t kMinTilePixels = 32;
// GEMM + col2im: at least this many bands in a call (for threads to share), of at least this many rows.
constexpr index_t kMinBandTasks = 4;
constexpr index_t kMinBandRows = 8;

std::string dims(index_t a, index_t b) { return std::to_string(a) + "x" + std::to_string(b); }

// The extents of each axis, (in + 1) * stride and (kernel - 1) * dilation, each below 2^61, so the
// length rules' sums of them cannot overflow.
void check_axis_extents(const Window2D& w) {
  constexpr index_t kLimit = std::numeric_limits<index_t>::max() / 4;
  for (int a = 0; a < 2; ++a) {
    const index_t reach = checked_product({w.in[a] + 1, w.stride[a]}, "conv2d_transpose output extent");
    const index_t span = checked_product({w.kernel[a] - 1, w.dilation[a]}, "conv2d_transpose dilated kernel");
    require(reach < kLimit && span < kLimit, std::string("conv2d_transpose: the ") + (a == 0 ? "height" : "width") +
                                                 " sizes are too large (output extent overflows int64)");
  }
}

// One thread's output rows [o0, o1) of image n, finished with bias + activation as they complete.
class BandWriter {
 public:
  BandWriter(float* image, index_t o0, index_t o1, index_t row_floats, index_t channels, const float* bias,
             Activation act)
      : image_(image), row_floats_(row_floats), channels_(channels), bias_(bias), act_(act), zeroed_(o0),
        finished_(o0), end_(o1) {}

  // Rows below `row` may now receive contributions: zero those not zeroed yet.
  void zero_until(index_t row) {
    row = std::min(row, end_);
    if (row <= zeroed_) return;
    std::memset(image_ + zeroed_ * row_floats_, 0, sizeof(float) * (row - zeroed_) * row_floats_);
    zeroed_ = row;
  }

  // Rows below `row` will receive nothing more: apply bias + activation while they are in cache.
  void finish_until(index_t row) {
    row = std::min(row, end_);
    if (row <= finished_) return;
    zero_until(row);
    bias_activation(image_ + finished_ * row_floats_, (row - finished_) * (row_floats_ / channels_), channels_,
                    bias_, act_);
    finished_ = row;
  }

 private:
  float* image_;
  index_t row_floats_, channels_;
  const float* bias_;
  Activation act_;
  index_t zeroed_, finished_, end_;
};

void pointwise_stride1(const float* x, const float* kernel, const float* bias, float* y,
                       const Conv2DTransposeShape& s, Activation act) {
  // 1x1 kernel, stride 1: crop is 0 and the output size is the input size, so this is a dense layer
  // over the pixels (the kernel (1, 1, out, in) is W transposed).
  const index_t pixels = s.batch * s.in[0] * s.in[1];
  Eigen::Map<const RowMatrix> xm(x, pixels, s.in_channels), wm(kernel, s.out_channels, s.in_channels);
  Eigen::Map<RowMatrix> ym(y, pixels, s.out_channels);
  detail::tiled_product(xm, wm.transpose(), ym, false, threads_for_work(s.flops()));
  bias_activation(y, pixels, s.out_channels, bias, act);
}

// Up to this many input channels gathering each output pixel's taps directly beats GEMM + col2im:
// the GEMM's depth is the input channels, and col2im re-reads and re-writes the output once per tap
// (measured, 1 thread: 3 in -> 32 out 2.5x faster; 64 -> 32 on 8x32x32 ~5% faster).
constexpr index_t kDirectMaxInChannels = 64;

bool use_direct(const Conv2DTransposeShape& s) {
  return s.in_channels <= kDirectMaxInChannels && s.out_channels % direct::kLanes == 0;
}

// Gather form, one output row per task: output cell (oh, ow) takes tap (a, b) from input cell
// ((oh + pad_top - a * dilation_h) / stride_h, (ow + pad_left - b * dilation_w) / stride_w) where
// both divide exactly. Output columns of one phase (ow mod stride_w) take the same kernel columns
// from consecutive input columns, so they are computed together; only a phase's first and last
// few columns, whose taps partly fall outside the input, get their own tap lists.
void conv_transpose_direct(const float* x, const float* kernel, const float* bias, float* y,
                           const Conv2DTransposeShape& s, Activation act, int threads) {
  const index_t H = s.in[0], W = s.in[1], Ci = s.in_channels, Co = s.out_channels;
  const index_t OH = s.out[0], OW = s.out[1], KH = s.kernel[0], KW = s.kernel[1];
  const index_t sh = s.stride[0], sw = s.stride[1], dh = s.dilation[0], dw = s.dilation[1];
  const index_t pt = s.pad_before[0], pl = s.pad_before[1];
  const index_t tap_floats = Ci * Co;
  const direct::Relu relu = direct::fused_relu(act);  // fused into the tiles' stores
  // (kh, kw, out, in) -> (kh, kw, in, out): output channels contiguous for the vector loads.
  std::vector<float> packed(static_cast<size_t>(KH * KW * tap_floats));
  for (index_t t = 0; t < KH * KW; ++t)
    for (index_t o = 0; o < Co; ++o)
      for (index_t i = 0; i < Ci; ++i) packed[(t * Ci + i) * Co + o] = kernel[(t * Co + o) * Ci + i];
  const float* w = packed.data();
  detail::run_parallel(threads, [&] {
    direct::Taps inner, border;
    std::vector<index_t> rows_a, rows_ih, cols_b, cols_base;
// Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 2)
    for (index_t r = 0; r < s.batch * OH; ++r) {
      const index_t n = r / OH, oh = r % OH;
      const float* image = x + n * H * W * Ci;
      float* y_row = y + r * OW * Co;
      rows_a.clear();
      rows_ih.clear();
      for (index_t a = 0; a < KH; ++a) {
        const index_t num = oh + pt - a * dh;
        if (num < 0 || num % sh != 0 || num / sh >= H) continue;
        rows_a.push_back(a);
        rows_ih.push_back(num / sh);
      }
      for (index_t phase = 0; phase < std::min(sw, OW); ++phase) {
        // Kernel columns b reaching this phase; column k of the phase (ow = phase + k * sw) reads
        // input column base + k.
        cols_b.clear();
        cols_base.clear();
        index_t k_lo = 0, k_hi = (OW - phase + sw - 1) / sw;
        const index_t count = k_hi;
        for (index_t b = 0; b < KW; ++b) {
          const index_t num = phase + pl - b * dw;
          if (floor_div(num, sw) * sw != num) continue;
          const index_t base = floor_div(num, sw);
          cols_b.push_back(b);
          cols_base.push_back(base);
          k_lo = std::max(k_lo, -base);
          k_hi = std::min(k_hi, W - base);
        }
        k_lo = std::min(k_lo, count);
        k_hi = std::clamp(k_hi, k_lo, count);
        auto add_taps = [&](direct::Taps& taps, index_t k, bool check) {
          taps.clear();
          for (size_t i = 0; i < rows_a.size(); ++i)
            for (size_t j = 0; j < cols_b.size(); ++j) {
              const index_t iw = cols_base[j] + k;
              if (check && (iw < 0 || iw >= W)) continue;
              taps.add((rows_ih[i] * W + iw) * Ci, (rows_a[i] * KW + cols_b[j]) * tap_floats);
            }
        };
        auto border_pixel = [&](index_t k) {
          add_taps(border, k, true);
          direct::pixels_all_channels(1, image, 0, border, Ci, w, Co, bias, y_row + (phase + k * sw) * Co, nullptr, Co,
                                      relu);
        };
        for (index_t k = 0; k < k_lo; ++k) border_pixel(k);
        if (k_hi > k_lo) {
          add_taps(inner, k_lo, false);
          direct::pixels_all_channels(k_hi - k_lo, image, Ci, inner, Ci, w, Co, bias,
                                      y_row + (phase + k_lo * sw) * Co, nullptr, sw * Co, relu);
        }
        for (index_t k = k_hi; k < count; ++k) border_pixel(k);
      }
      if (!relu && act != Activation::Linear) bias_activation(y_row, OW, Co, nullptr, act);
    }
  });
}

}  // namespace

double Conv2DTransposeShape::flops() const {
  return 2.0 * static_cast<double>(batch) * in[0] * in[1] * kernel[0] * kernel[1] * in_channels * out_channels;
}

Conv2DTransposeShape conv2d_transpose_shape(index_t batch, index_t in_h, index_t in_w, index_t in_channels,
                                            index_t kernel_h, index_t kernel_w, index_t out_channels,
                                            index_t stride_h, index_t stride_w, index_t dilation_h,
                                            index_t dilation_w, Padding padding, index_t output_padding_h,
                                            index_t output_padding_w) {
  const char* fn = "conv2d_transpose";
  for (auto [op, stride] : {std::pair{output_padding_h, stride_h}, std::pair{output_padding_w, stride_w}})
    require(op < stride, std::string(fn) + ": output_padding must be smaller than strides (Keras), got output_padding " +
                             dims(output_padding_h, output_padding_w) + " with strides " + dims(stride_h, stride_w));
  require(in_channels >= 0 && out_channels >= 0, std::string(fn) + ": sizes must be >= 0");
  Conv2DTransposeShape s;
  static_cast<Window2D&>(s) = {batch, {in_h, in_w}, {kernel_h, kernel_w}, {stride_h, stride_w}, {dilation_h, dilation_w}};
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  // Checked before the length rules below compute with them.
  validate<2>(s, fn);
  check_axis_extents(s);
  const Window2D::Axes output_padding{output_padding_h, output_padding_w};
  for (int a = 0; a < 2; ++a) {
    s.pad_before[a] = conv_transpose_pad_before(s.in[a], s.kernel[a], s.stride[a], s.dilation[a], padding,
                                                output_padding[a]);
    s.out[a] = conv_transpose_output_length(s.in[a], s.kernel[a], s.stride[a], s.dilation[a], padding,
                                            output_padding[a]);
  }
  validate(s);
  return s;
}

void validate(const Conv2DTransposeShape& s) {
  const std::string fn = "conv2d_transpose: ";
  validate<2>(s, "conv2d_transpose");
  require(s.in_channels >= 0 && s.out_channels >= 0, fn + "sizes must be >= 0");
  require(s.pad_after == Window2D::Axes{0, 0}, fn + "pad_after must be 0 (crops are at the start)");
  require(s.out[0] >= 1 && s.out[1] >= 1,
          fn + "output size must be positive, got " + dims(s.out[0], s.out[1]) + " from input " + dims(s.in[0], s.in[1]));
  checked_product({s.batch, s.in[0], s.in[1], s.in_channels}, "conv2d_transpose input");
  checked_product({s.kernel[0], s.kernel[1], s.in_channels, s.out_channels}, "conv2d_transpose kernel");
  checked_product({s.batch, s.out[0], s.out[1], s.out_channels}, "conv2d_transpose output");
  // Largest position a tap reaches before cropping: (in - 1) * stride + (kernel - 1) * dilation.
  check_axis_extents(s);
  // The columns of one tile: kernel_h * kernel_w * out_channels floats per pixel.
  checked_product({kMinTilePixels, s.kernel[0], s.kernel[1], s.out_channels}, "conv2d_transpose scratch");
}

void conv2d_transpose_nhwc(const float* x, const float* kernel, const float* bias, float* y,
                           const Conv2DTransposeShape& s, Activation act) {
  detail::begin_call();
  const index_t N = s.batch, H = s.in[0], W = s.in[1], Ci = s.in_channels;
  const index_t OH = s.out[0], OW = s.out[1], Co = s.out_channels;
  if (N == 0 || OH == 0 || OW == 0 || Co == 0) return;
  const index_t row_floats = OW * Co;
  if (H == 0 || W == 0 || Ci == 0) {  // no input reaches the output: it is act(bias) everywhere
    std::fill(y, y + N * OH * row_floats, 0.0f);
    bias_activation(y, N * OH * OW, Co, bias, act);
    return;
  }
  if (s.kernel[0] == 1 && s.kernel[1] == 1 && s.stride[0] == 1 && s.stride[1] == 1)
    return pointwise_stride1(x, kernel, bias, y, s, act);

  const int threads = threads_for_work(s.flops());
  if (use_direct(s)) return conv_transpose_direct(x, kernel, bias, y, s, act, threads);

  const index_t KH = s.kernel[0], KW = s.kernel[1], taps = KH * KW;
  const index_t col_floats = taps * Co;  // columns per input pixel
  const index_t sh = s.stride[0], sw = s.stride[1], dh = s.dilation[0], dw = s.dilation[1];
  const index_t pt = s.pad_before[0], pl = s.pad_before[1];

  // Kernel (kh, kw, out, in) is row-major (kh*kw*out, in); its transpose is the GEMM's right side,
  // whose packing Eigen does inside the product, so no rearranged copy is needed.
  Eigen::Map<const RowMatrix> kernel_rows(kernel, col_floats, Ci);
  const auto rhs = kernel_rows.transpose();

  // Bands per image: from the shape only (a band's tiles, and so its sums, must not depend on the
  // thread count): several per image when the images are fewer than kMinBandTasks, each at least
  // kMinBandRows output rows (a band recomputes the input rows it shares with its neighbour).
  const index_t bands = N >= kMinBandTasks ? 1 : std::clamp<index_t>(OH / kMinBandRows, 1, (kMinBandTasks + N - 1) / N);
  const index_t items = N * bands;
  const index_t tile_pixels = std::max(kMinTilePixels, kTileBytes / static_cast<index_t>(sizeof(float) * col_floats));
  const int workers = static_cast<int>(std::min<index_t>(threads, items));
  std::vector<float> scratch(static_cast<size_t>(workers) * tile_pixels * col_floats);

  detail::run_parallel(workers, [&] {
#pragma omp for schedule(dynamic)
    for (index_t item = 0; item < items; ++item) {
      const index_t n = item / bands, band = item % bands;
      const index_t o0 = OH * band / bands, o1 = OH * (band + 1) / bands;
      float* image = y + n * OH * row_floats;
      BandWriter out(image, o0, o1, row_floats, Co, bias, act);
      const int thread = omp_get_thread_num();
      float* cols = scratch.data() + static_cast<size_t>(thread) * tile_pixels * col_floats;

      // Input rows with a tap landing in [o0, o1).
      const index_t ih_lo = std::max<index_t>(0, ceil_div(o0 + pt - (KH - 1) * dh, sh));
      const index_t ih_hi = std::min<index_t>(H, floor_div(o1 - 1 + pt, sh) + 1);
      const float* x_image = x + n * H * W * Ci;
      for (index_t p = ih_lo * W; p < ih_hi * W; p += tile_pixels) {
        const index_t m = std::min(tile_pixels, ih_hi * W - p);
        Eigen::Map<const RowMatrix> lhs(x_image + p * Ci, m, Ci);
        Eigen::Map<RowMatrix> cm(cols, m, col_floats);
        cm.noalias() = lhs * rhs;

        out.zero_until((p + m - 1) / W * sh + (KH - 1) * dh - pt + 1);
        for (index_t q = 0; q < m; ++q) {
          const index_t ih = (p + q) / W, iw = (p + q) % W;
          const float* src_pixel = cols + q * col_floats;
          for (index_t a = 0; a < KH; ++a) {
            const index_t oh = ih * sh + a * dh - pt;
            if (oh < o0 || oh >= o1) continue;
            float* dst_row = image + oh * row_floats;
            for (index_t b = 0; b < KW; ++b) {
              const index_t ow = iw * sw + b * dw - pl;
              if (ow < 0 || ow >= OW) continue;
              float* __restrict dst = dst_row + ow * Co;
              const float* __restrict src = src_pixel + (a * KW + b) * Co;
              for (index_t c = 0; c < Co; ++c) dst[c] += src[c];
            }
          }
        }
        // Later pixels are in row >= (p + m) / W, whose taps land at or below that row * sh - pt.
        out.finish_until((p + m) / W * sh - pt);
      }
      out.finish_until(o1);
    }
  });
}

}  // namespace nnkern
