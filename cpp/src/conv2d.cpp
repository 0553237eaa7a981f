#include "nnkern/conv2d.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "direct_conv.hpp"
#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

// Bytes of a tile's patch rows: small enough to stay in this core's L2 (1 MiB here) between being
// written and being packed by the GEMM, large enough that each GEMM runs near full speed
// (measured on 3x3 64->64 and 1x1 64->256: 128-768 KiB alike, 16-64 KiB and whole-batch GEMMs slower).
constexpr index_t kTileBytes = 384 * 1024;
// At least this many tiles in a call (where pixels allow), for threads to share.
constexpr index_t kMinTasks = 8;
// Fewest pixel rows in a tile (where the image has them): each tile's GEMM packs the kernel again, so
// tiles of a few rows of a deep layer spend more time packing than multiplying (ResNet50's 3x3 512 -> 512
// on 7x7 as tiles of 13 rows: 14 GFLOP/s, against 98 for the one product).
constexpr index_t kMinTileRows = 128;

// Padding after the input on one axis: how far the last of `out` windows reaches past the input.
index_t pad_after(index_t input, index_t out, index_t stride, index_t dilated_kernel, index_t pad_before) {
  if (out == 0) return 0;
  return std::max<index_t>((out - 1) * stride + dilated_kernel - input - pad_before, 0);
}

// y[i] += residual[i] for n values: a residual connection's sum, added while the tile is in cache.
void add_residual(float* y, const float* residual, index_t n) {
  Eigen::Map<Eigen::ArrayXf>(y, n) += Eigen::Map<const Eigen::ArrayXf>(residual, n);
}

bool is_pointwise(const Conv2DShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_bottom == 0 && s.pad_left == 0 && s.pad_right == 0;
}

// y rows (rows x out_channels) = lhs (rows x K, row stride lhs_stride) . the kernel's columns of group g,
// written into group g's output channels. K = kernel_h * kernel_w * kernel_in. `split`: the product
// in tiles that `threads` share (the call is a single task); else one product, which packs the
// kernel once for all the rows.
void multiply_group(const float* lhs, index_t lhs_stride, index_t rows, const float* kernel, const Conv2DShape& s,
                    index_t g, float* y, bool split, int threads) {
  const index_t group_out = s.out_channels / s.groups;
  const index_t depth = s.kernel_h * s.kernel_w * s.kernel_in();
  ConstStridedMap a(lhs, rows, depth, Eigen::OuterStride<>(lhs_stride));
  ConstStridedMap w(kernel + g * group_out, depth, group_out, Eigen::OuterStride<>(s.out_channels));
  StridedMap out(y + g * group_out, rows, group_out, Eigen::OuterStride<>(s.out_channels));
  if (split)
    detail::tiled_product(a, w, out, false, threads);
  else
    out.noalias() = a * w;
}

// im2col: rows [p0, p1) of one image's patch matrix for group g. Row p is output pixel
// (p / out_w, p % out_w); its columns are the taps in the kernel's (kh, kw, kernel_in) order, so the
// patch times the kernel (viewed as a (kh*kw*kernel_in, out) matrix) is the convolution. Taps that
// fall in the padding are zero.
void gather_patches(const float* image, const Conv2DShape& s, index_t g, index_t p0, index_t p1, float* patch) {
  const index_t cg = s.kernel_in(), C = s.in_channels, W = s.in_w, H = s.in_h;
  const index_t row_span = s.kernel_w * cg;  // one kernel row of a patch row
  const index_t depth = s.kernel_h * row_span;
  const index_t out_w = s.out_w();
  // With one group and no horizontal dilation a kernel row's taps are adjacent in x: one copy.
  const bool adjacent_taps = s.groups == 1 && s.dilation_w == 1;
  const float* channels = image + g * cg;
  index_t oh = p0 / out_w, ow = p0 % out_w;
  for (index_t p = p0; p < p1; ++p) {
    float* dst = patch + (p - p0) * depth;
    const index_t ih0 = oh * s.stride_h - s.pad_top, iw0 = ow * s.stride_w - s.pad_left;
    for (index_t i = 0; i < s.kernel_h; ++i, dst += row_span) {
      const index_t ih = ih0 + i * s.dilation_h;
      if (ih < 0 || ih >= H) {
        std::fill_n(dst, row_span, 0.0f);
        continue;
      }
      const float* src_row = channels + ih * W * C;
      if (adjacent_taps && iw0 >= 0 && iw0 + s.kernel_w <= W) {
        std::memcpy(dst, src_row + iw0 * C, row_span * sizeof(float));
        continue;
      }
      for (index_t j = 0; j < s.kernel_w; ++j) {
        const index_t iw = iw0 + j * s.dilation_w;
        float* d = dst + j * cg;
        if (iw < 0 || iw >= W) {
          std::fill_n(d, cg, 0.0f);
        } else {
          std::memcpy(d, src_row + iw * C, cg * sizeof(float));
        }
      }
    }
    if (++ow == out_w) {
      ow = 0;
      ++oh;
    }
  }
}

// Runs the convolution as GEMMs over tiles of output pixels, each tile followed by bias +
// activation while it is still in cache. A tile lies within one image; in the pointwise case (1x1,
// stride 1, unpadded) the input itself is the patch matrix, so the whole batch is treated as one
// image of batch*h*w pixels and tiles are GEMMs on row blocks of x, without im2col. Otherwise
// each tile's patch rows are gathered (im2col) into a per-thread scratch tile.
void conv_tiled(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                const Conv2DShape& s, Activation act, int threads) {
  const bool pointwise = is_pointwise(s);
  const index_t images = pointwise ? 1 : s.batch;
  const index_t pixels = pointwise ? s.batch * s.in_h * s.in_w : s.out_h() * s.out_w();
  const index_t C = s.out_channels, depth = s.kernel_h * s.kernel_w * s.kernel_in();
  const index_t image_size = s.in_h * s.in_w * s.in_channels;
  // Bytes per pixel that a tile keeps hot: its patch row; when pointwise, its rows of x and y.
  const index_t row_bytes = (pointwise ? s.in_channels + C : depth) * static_cast<index_t>(sizeof(float));
  index_t tile = std::clamp<index_t>(kTileBytes / row_bytes, std::min(kMinTileRows, pixels), pixels);
  index_t tiles_per_image = (pixels + tile - 1) / tile;
  // Enough tasks to share out when the images are few (tiles stay >= kMinTileRows pixels). From the
  // shape only, never the thread count: a pixel's sums then do not depend on the threads.
  if (images * tiles_per_image < kMinTasks) {
    const index_t want = (kMinTasks + images - 1) / images;
    tiles_per_image = std::max(tiles_per_image, std::min(want, pixels / kMinTileRows));
  }
  tile = (pixels + tiles_per_image - 1) / tiles_per_image;  // even tiles
  tiles_per_image = (pixels + tile - 1) / tile;
  const index_t tasks = images * tiles_per_image;
  // One task (a few pixels, deep channels): the threads share its products' tiles instead.
  const int workers = tasks == 1 ? 1 : static_cast<int>(std::min<index_t>(threads, tasks));
  const int product_threads = tasks == 1 ? threads : 1;
  // Once per call and uninitialised: every patch entry is written before it is read.
  std::unique_ptr<float[]> scratch(pointwise ? nullptr : new float[static_cast<size_t>(workers * tile * depth)]);

  auto run_task = [&](index_t task, float* patch) {
    const index_t n = task / tiles_per_image, p0 = (task % tiles_per_image) * tile;
    const index_t p1 = std::min(pixels, p0 + tile);
    float* y_tile = y + (n * pixels + p0) * C;
    for (index_t g = 0; g < s.groups; ++g) {
      if (pointwise) {
        multiply_group(x + p0 * s.in_channels + g * s.kernel_in(), s.in_channels, p1 - p0, kernel, s, g, y_tile,
                       tasks == 1, product_threads);
      } else {
        gather_patches(x + n * image_size, s, g, p0, p1, patch);
        multiply_group(patch, depth, p1 - p0, kernel, s, g, y_tile, tasks == 1, product_threads);
      }
    }
    if (residual) add_residual(y_tile, residual + (n * pixels + p0) * C, (p1 - p0) * C);
    bias_activation(y_tile, p1 - p0, C, bias, act);
  };

  detail::run_parallel(workers, [&] {
    float* patch = pointwise ? nullptr : scratch.get() + omp_get_thread_num() * tile * depth;
// Dynamic: a thread held up (its core busy with another process) leaves its tiles to the others.
#pragma omp for schedule(dynamic)
    for (index_t t = 0; t < tasks; ++t) run_task(t, patch);
  });
}

// Up to this many input channels the direct kernel beats im2col + GEMM (1 thread, 3x3: 3 -> 32 on
// 128x128 2.1x faster, 64 -> 64 on 8x56x56 1.16x): with few channels the GEMM's depth (27 for an
// RGB layer) is too shallow for it to run fast, and im2col writes 9x the input every time. The same
// holds for 1x1 (pointwise) layers, whose GEMM has a depth of only in_channels (1 thread, AVX-512, batch
// 1: 16 -> 96 on 112x112 1.7x, 24 -> 144 on 56x56 1.6x, 64 -> 256 on 56x56 1.2x, 64 -> 384 on 14x14 1.4x
// faster). With more input channels the direct kernel was slower on some shapes (960 -> 320 on 7x7
// 0.6x, 320 -> 1280 on 7x7 0.45x: few pixels share each weight load), so they keep the GEMM.
constexpr index_t kDirectMaxInChannels = 64;

bool use_direct(const Conv2DShape& s) {
  return s.groups == 1 && s.in_channels <= kDirectMaxInChannels && s.out_channels % direct::kLanes == 0;
}

// Direct convolution, one output row per task. Along x, the output columns [ow_lo, ow_hi) read
// every kernel column inside the input, so within a row they share one tap list; the few border
// columns get their own, without the taps falling in the padding.
void conv_direct(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                 const Conv2DShape& s, Activation act, int threads) {
  const index_t H = s.in_h, W = s.in_w, C = s.in_channels, Co = s.out_channels;
  const index_t OH = s.out_h(), OW = s.out_w(), KH = s.kernel_h, KW = s.kernel_w;
  const index_t sh = s.stride_h, sw = s.stride_w, dh = s.dilation_h, dw = s.dilation_w;
  const index_t pt = s.pad_top, pl = s.pad_left;
  const index_t ow_lo = std::min(OW, (pl + sw - 1) / sw);
  const index_t reach = W - 1 + pl - (KW - 1) * dw;  // ow * sw <= reach for the last kernel column
  const index_t ow_hi = std::clamp<index_t>(reach < 0 ? 0 : reach / sw + 1, ow_lo, OW);
  const index_t tap_floats = C * Co;  // one (kh, kw) slice of the kernel
  const bool relu = act == Activation::Relu && !residual;  // fused into the tiles' stores
  detail::run_parallel(threads, [&] {
    direct::Taps inner, border;
// Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 2)
    for (index_t r = 0; r < s.batch * OH; ++r) {
      const index_t n = r / OH, oh = r % OH;
      const float* image = x + n * H * W * C;
      float* y_row = y + r * OW * Co;
      inner.clear();
      for (index_t i = 0; i < KH; ++i) {
        const index_t ih = oh * sh - pt + i * dh;
        if (ih < 0 || ih >= H) continue;
        for (index_t j = 0; j < KW; ++j) inner.add((ih * W + j * dw) * C, (i * KW + j) * tap_floats);
      }
      auto border_pixel = [&](index_t ow) {
        border.clear();
        const index_t iw0 = ow * sw - pl;
        for (index_t i = 0; i < KH; ++i) {
          const index_t ih = oh * sh - pt + i * dh;
          if (ih < 0 || ih >= H) continue;
          for (index_t j = 0; j < KW; ++j) {
            const index_t iw = iw0 + j * dw;
            if (iw >= 0 && iw < W) border.add((ih * W + iw) * C, (i * KW + j) * tap_floats);
          }
        }
        direct::pixels_all_channels(1, image, 0, border, C, kernel, Co, bias, y_row + ow * Co, Co, relu);
      };
      for (index_t ow = 0; ow < ow_lo; ++ow) border_pixel(ow);
      if (ow_hi > ow_lo)
        direct::pixels_all_channels(ow_hi - ow_lo, image + (ow_lo * sw - pl) * C, sw * C, inner, C, kernel, Co, bias,
                                    y_row + ow_lo * Co, Co, relu);
      for (index_t ow = ow_hi; ow < OW; ++ow) border_pixel(ow);
      if (residual) add_residual(y_row, residual + r * OW * Co, OW * Co);
      if (!relu && act != Activation::Linear) bias_activation(y_row, OW, Co, nullptr, act);
    }
  });
}

// The checks that do not depend on the pads' values: the window, channels and groups.
void validate_arguments(const Conv2DShape& s) {
  const std::string fn = "conv2d: ";
  validate(static_cast<const Window2D&>(s), "conv2d");
  require(s.in_channels >= 0 && s.out_channels >= 0, fn + "sizes must be >= 0");
  require(s.groups >= 1, fn + "groups must be >= 1, got " + std::to_string(s.groups));
  require(s.in_channels % s.groups == 0, fn + "input channels (" + std::to_string(s.in_channels) +
                                             ") must be divisible by groups (" + std::to_string(s.groups) + ")");
  require(s.out_channels % s.groups == 0, fn + "output channels (" + std::to_string(s.out_channels) +
                                              ") must be divisible by groups (" + std::to_string(s.groups) + ")");
}
}  // namespace

void validate(const Conv2DShape& s) {
  const std::string fn = "conv2d: ";
  validate_arguments(s);
  // Padded extents, before out_h()/out_w() compute with them.
  const index_t padded_h = checked_sum(s.in_h, s.pad_top, s.pad_bottom, "conv2d padded height");
  const index_t padded_w = checked_sum(s.in_w, s.pad_left, s.pad_right, "conv2d padded width");
  require(s.in_h == 0 || padded_h >= s.dilated_kernel_h(),
          fn + "kernel height " + std::to_string(s.dilated_kernel_h()) + " (dilated) is larger than the padded input height " +
              std::to_string(padded_h) + ": it would produce an empty/negative output");
  require(s.in_w == 0 || padded_w >= s.dilated_kernel_w(),
          fn + "kernel width " + std::to_string(s.dilated_kernel_w()) + " (dilated) is larger than the padded input width " +
              std::to_string(padded_w) + ": it would produce an empty/negative output");
  // Per-image products first: a batch of 0 must not hide an overflowing per-image size.
  checked_product({s.in_h, s.in_w, s.in_channels}, "conv2d input");
  checked_product({s.batch, s.in_h, s.in_w, s.in_channels}, "conv2d input");
  checked_product({s.kernel_h, s.kernel_w, s.kernel_in(), s.out_channels}, "conv2d kernel");
  checked_product({s.out_h(), s.out_w(), s.out_channels}, "conv2d output");
  checked_product({s.batch, s.out_h(), s.out_w(), s.out_channels}, "conv2d output");
}

Conv2DShape conv2d_shape(index_t batch, index_t in_h, index_t in_w, index_t in_channels, index_t kernel_h,
                         index_t kernel_w, index_t out_channels, index_t stride_h, index_t stride_w,
                         index_t dilation_h, index_t dilation_w, Padding padding, index_t groups) {
  Conv2DShape s;
  s.batch = batch;
  s.in_h = in_h;
  s.in_w = in_w;
  s.in_channels = in_channels;
  s.kernel_h = kernel_h;
  s.kernel_w = kernel_w;
  s.out_channels = out_channels;
  s.stride_h = stride_h;
  s.stride_w = stride_w;
  s.dilation_h = dilation_h;
  s.dilation_w = dilation_w;
  s.groups = groups;
  validate_arguments(s);  // sane sizes, strides and dilations before the pad arithmetic uses them
  if (padding == Padding::Same) {
    const index_t oh = conv_output_length(in_h, kernel_h, stride_h, dilation_h, padding);
    const index_t ow = conv_output_length(in_w, kernel_w, stride_w, dilation_w, padding);
    s.pad_top = conv_pad_before(in_h, kernel_h, stride_h, dilation_h, padding);
    s.pad_left = conv_pad_before(in_w, kernel_w, stride_w, dilation_w, padding);
    s.pad_bottom = pad_after(in_h, oh, stride_h, s.dilated_kernel_h(), s.pad_top);
    s.pad_right = pad_after(in_w, ow, stride_w, s.dilated_kernel_w(), s.pad_left);
  }
  validate(s);
  return s;
}

void conv2d_nhwc_residual(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                          const Conv2DShape& s, Activation act) {
  detail::begin_call();
  const index_t pixels = s.out_h() * s.out_w();
  if (s.batch == 0 || pixels == 0 || s.out_channels == 0) return;
  const index_t depth = s.kernel_h * s.kernel_w * s.kernel_in();
  if (depth == 0) {  // no input channels: the output is the bias (and residual) alone
    const index_t n = s.batch * pixels * s.out_channels;
    if (residual)
      std::copy_n(residual, n, y);
    else
      std::fill_n(y, n, 0.0f);
    bias_activation(y, s.batch * pixels, s.out_channels, bias, act);
    return;
  }
  const int threads = threads_for_work(2.0 * s.batch * pixels * depth * s.out_channels);
  if (use_direct(s)) return conv_direct(x, kernel, bias, residual, y, s, act, threads);
  conv_tiled(x, kernel, bias, residual, y, s, act, threads);
}

void conv2d_nhwc(const float* x, const float* kernel, const float* bias, float* y, const Conv2DShape& s,
                 Activation act) {
  conv2d_nhwc_residual(x, kernel, bias, nullptr, y, s, act);
}

}  // namespace nnkern
