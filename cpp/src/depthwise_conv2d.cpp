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

// The geometry every output row of one depthwise shape shares. Along x, the output columns
// [ow_lo, ow_hi) read every kernel column inside the input and share one tap list; the few border
// columns get their own without the padded taps.
struct RowGeometry {
  index_t H, W, CO, OW, KH, KW, sh, sw, dh, dw, pt, pl, ow_lo, ow_hi;
  index_t cx;          // channel stride of the pixels the taps read: the input's own, or its expansion's
  index_t sliding_kw;  // see pixels_all_channels

  RowGeometry(const DepthwiseConv2DShape& s, index_t pixel_floats)
      : H(s.in[0]), W(s.in[1]), CO(s.out_channels), OW(s.out_w()), KH(s.kernel[0]), KW(s.kernel[1]),
        sh(s.stride[0]), sw(s.stride[1]), dh(s.dilation[0]), dw(s.dilation[1]), pt(s.pad_before[0]),
        pl(s.pad_before[1]), cx(pixel_floats) {
    ow_lo = std::min(OW, (pl + sw - 1) / sw);
    const index_t reach = W - 1 + pl - (KW - 1) * dw;  // ow * sw <= reach for the last kernel column
    ow_hi = std::clamp<index_t>(reach < 0 ? 0 : reach / sw + 1, ow_lo, OW);
    sliding_kw = sw == 1 && dw == 1 && (KW == 3 || KW == 5) ? KW : 0;
  }
  index_t first_row(index_t oh) const { return oh * sh - pt; }  // input row of kernel row 0
};

// One output row: kernel row i reads the input row at src + row_off[i] (-1: a row in the padding).
void depthwise_row(const RowGeometry& g, const float* src, const index_t* row_off, const float* kernel,
                   const float* bias, float* y_row, Activation act, Taps& inner, Taps& border) {
  inner.clear();
  for (index_t i = 0; i < g.KH; ++i)
    if (row_off[i] >= 0)
      for (index_t j = 0; j < g.KW; ++j) inner.add(row_off[i] + j * g.dw * g.cx, (i * g.KW + j) * g.CO);
  auto border_pixel = [&](index_t ow) {
    border.clear();
    const index_t iw0 = ow * g.sw - g.pl;
    for (index_t i = 0; i < g.KH; ++i) {
      if (row_off[i] < 0) continue;
      for (index_t j = 0; j < g.KW; ++j) {
        const index_t iw = iw0 + j * g.dw;
        if (iw >= 0 && iw < g.W) border.add(row_off[i] + iw * g.cx, (i * g.KW + j) * g.CO);
      }
    }
    pixels_all_channels(1, src, 0, border, kernel, g.CO, bias, y_row + ow * g.CO, 0);
  };
  for (index_t ow = 0; ow < g.ow_lo; ++ow) border_pixel(ow);
  if (g.ow_hi > g.ow_lo)
    pixels_all_channels(g.ow_hi - g.ow_lo, src + (g.ow_lo * g.sw - g.pl) * g.cx, g.sw * g.cx, inner, kernel, g.CO,
                        bias, y_row + g.ow_lo * g.CO, g.sliding_kw);
  for (index_t ow = g.ow_hi; ow < g.OW; ++ow) border_pixel(ow);
  if (act != Activation::Linear) bias_activation(y_row, g.OW, g.CO, nullptr, act);
}

// One output row per task.
void depthwise_rows(const float* x, const float* kernel, const float* bias, float* y, const DepthwiseConv2DShape& s,
                    Activation act, int threads) {
  const index_t C = s.in_channels, M = depth_multiplier(s);
  const bool expand = M > 1;
  const RowGeometry g(s, expand ? s.out_channels : C);
  detail::run_parallel(threads, [&] {
    Taps inner, border;
    // At most min(KH, H) kernel rows fall inside the input (a `same` kernel may be taller than it).
    std::vector<float> rows(expand ? static_cast<size_t>(std::min(g.KH, g.H) * g.W * g.CO) : 0);
    std::vector<index_t> row_off(g.KH);
// Dynamic: a thread held up (its core busy with another process) leaves its rows to the others.
#pragma omp for schedule(dynamic, 2)
    for (index_t r = 0; r < s.batch * s.out_h(); ++r) {
      const index_t n = r / s.out_h(), oh = r % s.out_h();
      const float* image = x + n * g.H * g.W * C;
      index_t expanded = 0;
      for (index_t i = 0; i < g.KH; ++i) {
        const index_t ih = g.first_row(oh) + i * g.dh;
        row_off[i] = -1;
        if (ih < 0 || ih >= g.H) continue;
        if (expand) {  // the row with each channel repeated depth_multiplier times
          row_off[i] = expanded++ * g.W * g.CO;
          expand_row(image, ih, s, M, rows.data() + row_off[i]);
        } else {
          row_off[i] = ih * g.W * C;
        }
      }
      depthwise_row(g, expand ? rows.data() : image, row_off.data(), kernel, bias, y + r * g.OW * g.CO, act, inner,
                    border);
    }
  });
}

// act(conv 1x1 + bias) of one input row of W pixels into `dst` (W x out_channels): the direct kernel
// where conv2d would use it, else one product.
// `one_tap`: the tap list of a 1x1 kernel.
void pointwise_row(const float* x_row, index_t W, index_t in_channels, const float* kernel, const float* bias,
                   index_t out_channels, Activation act, const Taps& one_tap, float* dst) {
  if (in_channels > 0 && direct::takes(in_channels, out_channels)) {
    const direct::Relu relu = direct::fused_relu(act);
    direct::pixels_all_channels(W, x_row, in_channels, one_tap, in_channels, kernel, out_channels, bias, dst, nullptr,
                                out_channels, relu);
    if (!relu && act != Activation::Linear) bias_activation(dst, W, out_channels, nullptr, act);
    return;
  }
  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<RowMatrix>(dst, W, out_channels).noalias() =
      Eigen::Map<const RowMatrix>(x_row, W, in_channels) * Eigen::Map<const RowMatrix>(kernel, in_channels, out_channels);
  bias_activation(dst, W, out_channels, bias, act);
}

// The expansion's rows are made as the output rows first need them, into a ring of as many rows as
// one output row reads, and each is made once per thread: a thread takes one contiguous run of
// output rows (its first rows remake the few input rows the previous run also read).
void expanded_depthwise_rows(const float* x, index_t in_channels, const float* expand_kernel,
                             const float* expand_bias, Activation expand_act, const float* kernel, const float* bias,
                             float* y, const DepthwiseConv2DShape& s, Activation act, int threads) {
  const RowGeometry g(s, s.in_channels);
  const index_t span = std::min((g.KH - 1) * g.dh + 1, g.H);  // input rows one output row reads, at most
  const index_t row_floats = g.W * s.in_channels, rows_total = s.batch * s.out_h();
  detail::run_parallel(threads, [&] {
    Taps inner, border, one_tap;
    one_tap.add(0, 0);
    // 64-byte aligned: the activations run in place only on aligned rows (activation.cpp).
    std::vector<float, Eigen::aligned_allocator<float>> ring(static_cast<size_t>(span * row_floats));
    std::vector<index_t> row_off(g.KH);
    const index_t team = omp_get_num_threads(), t = omp_get_thread_num();
    const index_t r0 = rows_total * t / team, r1 = rows_total * (t + 1) / team;
    index_t image = -1, next = 0;  // the image whose rows the ring holds; its next row not yet made
    for (index_t r = r0; r < r1; ++r) {
      const index_t n = r / s.out_h(), oh = r % s.out_h();
      if (n != image) {
        image = n;
        next = 0;
      }
      const index_t lo = std::max<index_t>(g.first_row(oh), 0);
      const index_t hi = std::min(g.first_row(oh) + (g.KH - 1) * g.dh, g.H - 1);
      for (index_t ih = std::max(next, lo); ih <= hi; ++ih)
        pointwise_row(x + ((n * g.H + ih) * g.W) * in_channels, g.W, in_channels, expand_kernel, expand_bias,
                      s.in_channels, expand_act, one_tap, ring.data() + ih % span * row_floats);
      next = std::max(next, hi + 1);
      for (index_t i = 0; i < g.KH; ++i) {
        const index_t ih = g.first_row(oh) + i * g.dh;
        row_off[i] = ih < 0 || ih >= g.H ? -1 : ih % span * row_floats;
      }
      depthwise_row(g, ring.data(), row_off.data(), kernel, bias, y + r * g.OW * g.CO, act, inner, border);
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

// Below ~1 MiB the expanded tensor stays in the 1 MiB L2 between the two calls, and with more input
// channels than the direct kernel takes the fused rows run as small products: one Zen 4 core, AVX-512,
// the expansion (cold caches) then the depthwise 3x3 or 5x5, separate calls against fused: 112x112
// 16->96 s2 1.02 -> 0.67 ms, 56x56 24->144 s1 0.67 -> 0.45 ms (1.8 MB), 28x28 40->240 5x5 0.50 -> 0.49
// ms (0.75 MB), 8 x 28x28 32->192 2.35 -> 1.55 ms, 14x14 80->480 0.34 -> 0.35 ms, 8 x 14x14 96->576
// 2.52 -> 2.92 ms.
constexpr index_t kExpandDepthwiseMinBytes = index_t(1) << 20;

bool expand_depthwise_pays(index_t batch, index_t height, index_t width, index_t in_channels,
                           index_t expanded_channels) {
  return in_channels > 0 && direct::takes(in_channels, expanded_channels) &&
         batch * height * width * expanded_channels * static_cast<index_t>(sizeof(float)) >= kExpandDepthwiseMinBytes;
}

void expand_depthwise_conv2d_nhwc(const float* x, index_t in_channels, const float* expand_kernel,
                                  const float* expand_bias, Activation expand_act, const float* kernel,
                                  const float* bias, float* y, const DepthwiseConv2DShape& s, Activation act) {
  detail::begin_call();
  const index_t pixels = s.out_h() * s.out_w();
  if (s.batch == 0 || pixels == 0 || s.out_channels == 0) return;
  const double expand_flops = 2.0 * s.batch * s.in[0] * s.in[1] * in_channels * s.in_channels;
  const int threads = threads_for_work(
      expand_flops + 2.0 * static_cast<double>(s.batch * pixels) * s.out_channels * s.kernel[0] * s.kernel[1]);
  expanded_depthwise_rows(x, in_channels, expand_kernel, expand_bias, expand_act, kernel, bias, y, s, act, threads);
}

}  // namespace nnkern
