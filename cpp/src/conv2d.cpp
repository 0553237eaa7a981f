#include "nnkern/conv2d.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "direct_conv.hpp"
#include "im2col.hpp"
#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

bool is_pointwise(const Conv2DShape& s) {
  return s.kernel[0] == 1 && s.kernel[1] == 1 && s.stride[0] == 1 && s.stride[1] == 1 && s.pad_before[0] == 0 &&
         s.pad_after[0] == 0 && s.pad_before[1] == 0 && s.pad_after[1] == 0;
}

// im2col: rows [p0, p1) of one image's patch matrix for group g. Row p is output pixel
// (p / out_w, p % out_w); its columns are the taps in the kernel's (kh, kw, kernel_in) order, so the
// patch times the kernel (viewed as a (kh*kw*kernel_in, out) matrix) is the convolution. Taps that
// fall in the padding are zero.
void gather_patches(const float* image, const Conv2DShape& s, index_t g, index_t p0, index_t p1, float* patch) {
  const index_t cg = s.kernel_in(), C = s.in_channels, W = s.in[1], H = s.in[0];
  const index_t row_span = s.kernel[1] * cg;  // one kernel row of a patch row
  const index_t depth = s.kernel[0] * row_span;
  const index_t out_w = s.out_w();
  // With one group and no horizontal dilation a kernel row's taps are adjacent in x: one copy.
  const bool adjacent_taps = s.groups == 1 && s.dilation[1] == 1;
  const float* channels = image + g * cg;
  index_t oh = p0 / out_w, ow = p0 % out_w;
  for (index_t p = p0; p < p1; ++p) {
    float* dst = patch + (p - p0) * depth;
    const index_t ih0 = oh * s.stride[0] - s.pad_before[0], iw0 = ow * s.stride[1] - s.pad_before[1];
    for (index_t i = 0; i < s.kernel[0]; ++i, dst += row_span) {
      const index_t ih = ih0 + i * s.dilation[0];
      if (ih < 0 || ih >= H) {
        std::fill_n(dst, row_span, 0.0f);
        continue;
      }
      const float* src_row = channels + ih * W * C;
      if (adjacent_taps && iw0 >= 0 && iw0 + s.kernel[1] <= W) {
        std::memcpy(dst, src_row + iw0 * C, row_span * sizeof(float));
        continue;
      }
      for (index_t j = 0; j < s.kernel[1]; ++j) {
        const index_t iw = iw0 + j * s.dilation[1];
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

// Runs the convolution as GEMMs over tiles of output pixels (im2col.hpp), the residual (if any) added
// in each tile's epilogue. In the pointwise case (1x1, stride 1, unpadded) the input itself is the
// patch matrix.
void conv_tiled(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                const Conv2DShape& s, Activation act, int threads, const float* packed_kernel) {
  detail::Im2colProblem p;
  p.batch = s.batch;
  p.out_pixels = s.out_h() * s.out_w();
  p.in_channels = s.in_channels;
  p.image_floats = s.in[0] * s.in[1] * s.in_channels;
  p.groups = s.groups;
  p.group_in = s.kernel_in();
  p.depth = s.kernel[0] * s.kernel[1] * s.kernel_in();
  p.out_channels = s.out_channels;
  p.pointwise = is_pointwise(s);
  detail::im2col_conv(x, kernel, bias, residual, y, p, act, threads,
                      [&](const float* image, index_t g, index_t p0, index_t p1, float* patch) {
                        gather_patches(image, s, g, p0, p1, patch);
                      },
                      packed_kernel);
}

bool use_direct(index_t groups, index_t in_channels, index_t out_channels) {
  return groups == 1 && direct::takes(in_channels, out_channels);
}
bool use_direct(const Conv2DShape& s) { return use_direct(s.groups, s.in_channels, s.out_channels); }

// Direct convolution, one output row per task. Along x, the output columns [ow_lo, ow_hi) read
// every kernel column inside the input, so within a row they share one tap list; the few border
// columns get their own, without the taps falling in the padding.
void conv_direct(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                 const Conv2DShape& s, Activation act, int threads) {
  const index_t H = s.in[0], W = s.in[1], C = s.in_channels, Co = s.out_channels;
  const index_t OH = s.out_h(), OW = s.out_w(), KH = s.kernel[0], KW = s.kernel[1];
  const index_t sh = s.stride[0], sw = s.stride[1], dh = s.dilation[0], dw = s.dilation[1];
  const index_t pt = s.pad_before[0], pl = s.pad_before[1];
  const index_t ow_lo = std::min(OW, (pl + sw - 1) / sw);
  const index_t reach = W - 1 + pl - (KW - 1) * dw;  // ow * sw <= reach for the last kernel column
  const index_t ow_hi = std::clamp<index_t>(reach < 0 ? 0 : reach / sw + 1, ow_lo, OW);
  const index_t tap_floats = C * Co;  // one (kh, kw) slice of the kernel
  const direct::Relu relu = direct::fused_relu(act);  // fused into the tiles' stores, after the residual term
  detail::run_parallel(threads, [&] {
    direct::Taps inner, border;
// Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 2)
    for (index_t r = 0; r < s.batch * OH; ++r) {
      const index_t n = r / OH, oh = r % OH;
      const float* image = x + n * H * W * C;
      float* y_row = y + r * OW * Co;
      const float* res_row = residual ? residual + r * OW * Co : nullptr;
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
        direct::pixels_all_channels(1, image, 0, border, C, kernel, Co, bias, y_row + ow * Co,
                                    res_row ? res_row + ow * Co : nullptr, Co, relu);
      };
      for (index_t ow = 0; ow < ow_lo; ++ow) border_pixel(ow);
      if (ow_hi > ow_lo)
        direct::pixels_all_channels(ow_hi - ow_lo, image + (ow_lo * sw - pl) * C, sw * C, inner, C, kernel, Co, bias,
                                    y_row + ow_lo * Co, res_row ? res_row + ow_lo * Co : nullptr, Co, relu);
      for (index_t ow = ow_hi; ow < OW; ++ow) border_pixel(ow);
      if (!relu && act != Activation::Linear) bias_activation(y_row, OW, Co, nullptr, act);
    }
  });
}

}  // namespace

void validate(const Conv2DShape& s) { validate_conv(s, "conv2d"); }

Conv2DShape conv2d_shape(index_t batch, index_t in_h, index_t in_w, index_t in_channels, index_t kernel_h,
                         index_t kernel_w, index_t out_channels, index_t stride_h, index_t stride_w,
                         index_t dilation_h, index_t dilation_w, Padding padding, index_t groups) {
  Conv2DShape s;
  set_conv_shape<2>(s, {batch, {in_h, in_w}, {kernel_h, kernel_w}, {stride_h, stride_w}, {dilation_h, dilation_w}},
                    in_channels, out_channels, groups, padding, "conv2d");
  return s;
}

index_t conv2d_packed_kernel_floats(index_t kernel_h, index_t kernel_w, index_t in_channels, index_t out_channels,
                                    index_t groups) {
  if (groups != 1 || use_direct(groups, in_channels, out_channels)) return 0;
  return detail::packed_product_rhs_floats(checked_product({kernel_h, kernel_w, in_channels}, "conv2d kernel depth"),
                                           out_channels);
}

void conv2d_pack_kernel(const float* kernel, index_t kernel_h, index_t kernel_w, index_t in_channels,
                        index_t out_channels, float* packed) {
  detail::pack_product_rhs(kernel, kernel_h * kernel_w * in_channels, out_channels, out_channels, packed);
}

void conv2d_nhwc_residual(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                          const Conv2DShape& s, Activation act, const float* packed_kernel) {
  detail::begin_call();
  const index_t pixels = s.out_h() * s.out_w();
  if (s.batch == 0 || pixels == 0 || s.out_channels == 0) return;
  const index_t depth = s.kernel[0] * s.kernel[1] * s.kernel_in();
  if (depth == 0) {  // no input channels: the output is the bias (and residual) alone
    const index_t n = s.batch * pixels * s.out_channels;
    if (!residual)
      std::fill_n(y, n, 0.0f);
    else if (residual != y)
      std::copy_n(residual, n, y);
    bias_activation(y, s.batch * pixels, s.out_channels, bias, act);
    return;
  }
  const int threads = threads_for_work(2.0 * s.batch * pixels * depth * s.out_channels);
  if (use_direct(s)) return conv_direct(x, kernel, bias, residual, y, s, act, threads);
  conv_tiled(x, kernel, bias, residual, y, s, act, threads, packed_kernel);
}

void conv2d_nhwc(const float* x, const float* kernel, const float* bias, float* y, const Conv2DShape& s,
                 Activation act) {
  conv2d_nhwc_residual(x, kernel, bias, nullptr, y, s, act);
}

}  // namespace nnkern
