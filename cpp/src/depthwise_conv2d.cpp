#include "nnkern/depthwise_conv2d.hpp"

#include <omp.h>

#include <algorithm>
#include <string>
#include <vector>

#include "direct_conv.hpp"
#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

namespace ei = Eigen::internal;
using direct::kLanes;
using direct::Packet;
using direct::Taps;

// Output channel o reads only input channel o / depth_multiplier, and the kernel's (kh, kw) slice is
// laid out like the output channels, so one output pixel is a sum over taps of two channel vectors
// multiplied elementwise: x_tap[o] * w_tap[o] (x expanded to the output channels when
// depth_multiplier > 1). A tile keeps P pixels x V packets of channels in registers across all taps;
// each weight packet loaded feeds P FMAs.
//   x: the block's first pixel at channel c (pixel p at p * x_pixel_stride), read at + taps.x_off[t]
//   w: the kernel at channel c, tap t at + taps.w_off[t]; y: output pixel 0 at channel c.
template <int P, int V>
inline void tile(const float* x, index_t x_pixel_stride, const Taps& taps, const float* w, const float* bias,
                 float* y, index_t y_pixel_stride) {
  Packet acc[P][V];
  for (int v = 0; v < V; ++v) {
    const Packet b = bias ? ei::ploadu<Packet>(bias + v * kLanes) : ei::pset1<Packet>(0.0f);
    for (int p = 0; p < P; ++p) acc[p][v] = b;
  }
  const index_t n = taps.size();
  for (index_t t = 0; t < n; ++t) {
    const float* xt = x + taps.x_off[t];
    const float* wt = w + taps.w_off[t];
    Packet wv[V];
    for (int v = 0; v < V; ++v) wv[v] = ei::ploadu<Packet>(wt + v * kLanes);
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < V; ++v)
        acc[p][v] = ei::pmadd(ei::ploadu<Packet>(xt + p * x_pixel_stride + v * kLanes), wv[v], acc[p][v]);
  }
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < V; ++v) ei::pstoreu(y + p * y_pixel_stride + v * kLanes, acc[p][v]);
}

// The channels after the last whole packet, one at a time.
inline void tail(index_t pixels, const float* x, index_t x_pixel_stride, const Taps& taps, const float* w,
                 const float* bias, float* y, index_t y_pixel_stride, index_t channels) {
  for (index_t p = 0; p < pixels; ++p)
    for (index_t c = 0; c < channels; ++c) {
      float a = bias ? bias[c] : 0.0f;
      for (index_t t = 0; t < taps.size(); ++t) a += x[p * x_pixel_stride + taps.x_off[t] + c] * w[taps.w_off[t] + c];
      y[p * y_pixel_stride + c] = a;
    }
}

// Stride 1 without horizontal dilation: pixel p's tap j of a kernel row reads input pixel p + j, so the
// row's P + KW - 1 input packets are loaded once and each feeds up to KW FMAs (instead of one load per
// FMA, which bounds tile()). `taps` holds whole kernel rows, KW consecutive taps each (tap j at
// + j * x_pixel_stride in x and + j * channels in w).
template <int P, int KW>
inline void sliding_tile(const float* x, index_t x_pixel_stride, const Taps& taps, const float* w, index_t channels,
                         const float* bias, float* y) {
  Packet acc[P];
  const Packet b = bias ? ei::ploadu<Packet>(bias) : ei::pset1<Packet>(0.0f);
  for (int p = 0; p < P; ++p) acc[p] = b;
  for (index_t t = 0; t < taps.size(); t += KW) {
    const float* xr = x + taps.x_off[t];
    const float* wr = w + taps.w_off[t];
    Packet wv[KW];
    for (int j = 0; j < KW; ++j) wv[j] = ei::ploadu<Packet>(wr + j * channels);
    for (int q = 0; q < P + KW - 1; ++q) {
      const Packet xv = ei::ploadu<Packet>(xr + q * x_pixel_stride);
      for (int j = 0; j < KW; ++j) {
        const int p = q - j;
        if (p >= 0 && p < P) acc[p] = ei::pmadd(xv, wv[j], acc[p]);
      }
    }
  }
  for (int p = 0; p < P; ++p) ei::pstoreu(y + p * channels, acc[p]);
}

// tile(): 6 pixels x 2 packets: 12 accumulators, 2 weight packets and an input load fill the 16 AVX2
// registers. sliding_tile(): 8 pixels x 1 packet, with KW weight packets and an input load.
constexpr int kPixels = 6;
constexpr int kPackets = 2;
constexpr int kSlidingPixels = 8;

// Whole packets of channels of `pixels` pixels through sliding_tile, kernel width KW: one packet at a
// time over all the pixels, so that each of its input rows is one long stream at the pixel stride,
// which the prefetcher follows (56x56x144 3x3 on one Zen 4 core: 198 us, against 217 with pixel blocks
// outer and the packets of a 128-channel chunk inner).
template <int KW>
void sliding_blocks(index_t pixels, const float* x, index_t x_pixel_stride, const Taps& taps, const float* w,
                    index_t channels, index_t whole, const float* bias, float* y) {
  for (index_t c = 0; c < whole; c += kLanes) {
    index_t p = 0;
    auto block = [&](auto pixel_count) {
      constexpr int PC = decltype(pixel_count)::value;
      sliding_tile<PC, KW>(x + p * x_pixel_stride + c, x_pixel_stride, taps, w + c, channels,
                           bias ? bias + c : nullptr, y + p * channels + c);
    };
    while (p < pixels) {
      const index_t n = direct::next_block<kSlidingPixels>(pixels - p);
      direct::with_count<kSlidingPixels>(n, block);
      p += n;
    }
  }
}

// All output channels of `pixels` output pixels that read the same taps. sliding_kw: the kernel width
// when the taps are whole kernel rows read at stride 1 without dilation (sliding_tile applies), else 0.
void pixels_all_channels(index_t pixels, const float* x, index_t x_pixel_stride, const Taps& taps, const float* w,
                         index_t channels, const float* bias, float* y, index_t sliding_kw) {
  const index_t whole = channels / kLanes * kLanes;
  if (sliding_kw == 3) {
    sliding_blocks<3>(pixels, x, x_pixel_stride, taps, w, channels, whole, bias, y);
  } else if (sliding_kw == 5) {
    sliding_blocks<5>(pixels, x, x_pixel_stride, taps, w, channels, whole, bias, y);
  } else {
    index_t p = 0;
    auto block = [&](auto pixel_count) {
      constexpr int PC = decltype(pixel_count)::value;
      const float* xp = x + p * x_pixel_stride;
      float* yp = y + p * channels;
      index_t c = 0;
      for (; c + kPackets * kLanes <= channels; c += kPackets * kLanes)
        tile<PC, kPackets>(xp + c, x_pixel_stride, taps, w + c, bias ? bias + c : nullptr, yp + c, channels);
      for (; c < whole; c += kLanes)
        tile<PC, 1>(xp + c, x_pixel_stride, taps, w + c, bias ? bias + c : nullptr, yp + c, channels);
    };
    while (p < pixels) {
      const index_t n = direct::next_block<kPixels>(pixels - p);
      direct::with_count<kPixels>(n, block);
      p += n;
    }
  }
  if (whole < channels)
    tail(pixels, x + whole, x_pixel_stride, taps, w + whole, bias ? bias + whole : nullptr, y + whole, channels,
         channels - whole);
}

// Input row `ih` of image `image` with each channel repeated depth_multiplier times, so that it lines
// up with the output channels. A compile-time multiplier (2 .. 4) lets the compiler vectorise the copy,
// which otherwise costs more than the convolution itself.
template <int M>
void expand_values(const float* src, index_t n, float* dst) {
  for (index_t i = 0; i < n; ++i)
    for (int m = 0; m < M; ++m) dst[i * M + m] = src[i];
}

void expand_row(const float* image, index_t ih, const DepthwiseConv2DShape& s, index_t multiplier, float* dst) {
  const float* src = image + ih * s.in[1] * s.in_channels;
  const index_t n = s.in[1] * s.in_channels;
  switch (multiplier) {
    case 2: return expand_values<2>(src, n, dst);
    case 3: return expand_values<3>(src, n, dst);
    case 4: return expand_values<4>(src, n, dst);
    default:
      for (index_t i = 0; i < n; ++i, dst += multiplier) std::fill_n(dst, multiplier, src[i]);
  }
}

// One output row per task. Along x, the output columns [ow_lo, ow_hi) read every kernel column inside
// the input and share one tap list; the few border columns get their own without the padded taps.
void depthwise_rows(const float* x, const float* kernel, const float* bias, float* y, const DepthwiseConv2DShape& s,
                    Activation act, int threads) {
  const index_t H = s.in[0], W = s.in[1], C = s.in_channels, CO = s.out_channels, M = depth_multiplier(s);
  const index_t OH = s.out_h(), OW = s.out_w(), KH = s.kernel[0], KW = s.kernel[1];
  const index_t sh = s.stride[0], sw = s.stride[1], dh = s.dilation[0], dw = s.dilation[1];
  const index_t pt = s.pad_before[0], pl = s.pad_before[1];
  const index_t ow_lo = std::min(OW, (pl + sw - 1) / sw);
  const index_t reach = W - 1 + pl - (KW - 1) * dw;  // ow * sw <= reach for the last kernel column
  const index_t ow_hi = std::clamp<index_t>(reach < 0 ? 0 : reach / sw + 1, ow_lo, OW);
  // Channel stride of the pixels the taps read: the input's own, or its expansion's.
  const bool expand = M > 1;
  const index_t cx = expand ? CO : C;
  const index_t sliding_kw = sw == 1 && dw == 1 && (KW == 3 || KW == 5) ? KW : 0;
detail::run_parallel(threads, [&] {
    Taps inner, border;
    // At most min(KH, H) kernel rows fall inside the input (a `same` kernel may be taller than it).
    std::vector<float> rows(expand ? static_cast<size_t>(std::min(KH, H) * W * CO) : 0);
    std::vector<index_t> row_off(KH);  // where kernel row i reads (below), -1 when it is in the padding
// Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 2)
    for (index_t r = 0; r < s.batch * OH; ++r) {
      const index_t n = r / OH, oh = r % OH;
      const float* image = x + n * H * W * C;
      // Kernel row i reads at src + row_off[i]: the image's row ih, or its expanded copy.
      const float* src = expand ? rows.data() : image;
      float* y_row = y + r * OW * CO;
      inner.clear();
      index_t expanded = 0;
      for (index_t i = 0; i < KH; ++i) {
        const index_t ih = oh * sh - pt + i * dh;
        row_off[i] = -1;
        if (ih < 0 || ih >= H) continue;
        if (expand) {
          row_off[i] = expanded++ * W * CO;
          expand_row(image, ih, s, M, rows.data() + row_off[i]);
        } else {
          row_off[i] = ih * W * C;
        }
        for (index_t j = 0; j < KW; ++j) inner.add(row_off[i] + j * dw * cx, (i * KW + j) * CO);
      }
      auto border_pixel = [&](index_t ow) {
        border.clear();
        const index_t iw0 = ow * sw - pl;
        for (index_t i = 0; i < KH; ++i) {
          if (row_off[i] < 0) continue;
          for (index_t j = 0; j < KW; ++j) {
            const index_t iw = iw0 + j * dw;
            if (iw >= 0 && iw < W) border.add(row_off[i] + iw * cx, (i * KW + j) * CO);
          }
        }
        pixels_all_channels(1, src, 0, border, kernel, CO, bias, y_row + ow * CO, 0);
      };
      for (index_t ow = 0; ow < ow_lo; ++ow) border_pixel(ow);
      if (ow_hi > ow_lo)
        pixels_all_channels(ow_hi - ow_lo, src + (ow_lo * sw - pl) * cx, sw * cx, inner, kernel, CO, bias,
                            y_row + ow_lo * CO, sliding_kw);
      for (index_t ow = ow_hi; ow < OW; ++ow) border_pixel(ow);
      if (act != Activation::Linear) bias_activation(y_row, OW, CO, nullptr, act);
    }
  });
}

}  // namespace

DepthwiseConv2DShape depthwise_conv2d_shape(index_t batch, index_t in_h, index_t in_w, index_t channels,
                                            index_t kernel_h, index_t kernel_w, index_t depth_multiplier,
                                            index_t stride_h, index_t stride_w, index_t dilation_h,
                                            index_t dilation_w, Padding padding) {
  const std::string fn = "depthwise_conv2d";
  require(channels >= 0, fn + ": channels must be >= 0, got " + std::to_string(channels));
  require(depth_multiplier >= 1, fn + ": depth_multiplier must be >= 1, got " + std::to_string(depth_multiplier));
  const index_t out_channels = checked_product({channels, depth_multiplier}, "depthwise_conv2d output channels");
  try {
    return conv2d_shape(batch, in_h, in_w, channels, kernel_h, kernel_w, out_channels, stride_h, stride_w,
                        dilation_h, dilation_w, padding, std::max<index_t>(channels, 1));
  } catch (const std::invalid_argument& e) {
    // The checks are conv2d's; name this function in their messages instead.
    std::string what = e.what();
    if (what.rfind("conv2d", 0) == 0) what = "depthwise_" + what;
    throw std::invalid_argument(what);
  }
}

void depthwise_conv2d_nhwc(const float* x, const float* kernel, const float* bias, float* y,
                           const DepthwiseConv2DShape& s, Activation act) {
  detail::begin_call();
  const index_t pixels = s.out_h() * s.out_w();
  if (s.batch == 0 || pixels == 0 || s.out_channels == 0) return;
  const int threads =
      threads_for_work(2.0 * static_cast<double>(s.batch * pixels) * s.out_channels * s.kernel[0] * s.kernel[1]);
  depthwise_rows(x, kernel, bias, y, s, act, threads);
}

}  // namespace nnkern
