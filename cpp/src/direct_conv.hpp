// Direct convolution inner kernel shared by conv2d (few input channels) and conv2d_transpose (its
// gather form): for a block of output pixels that read the same taps, every output channel is a
// sum over taps and input channels of x * w, kept in registers and vectorised over output channels.
// Used where a GEMM's depth (the input channels) is too small for it to run fast, and where
// im2col / col2im would move more memory than the arithmetic costs.
#pragma once
#include <Eigen/Core>
#include <vector>

// Only in the AVX-512 kernel variant (x86-64-v4), which nnkern._core runs on CPUs that have it: the
// avx2 variant stays AVX2, so that NNKERN_ISA=avx2 measures and tests AVX2 code.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__AVX512F__)
#include <immintrin.h>
#define NNKERN_DIRECT_AVX512 1
#endif

#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern::direct {

namespace ei = Eigen::internal;
using Packet = ei::packet_traits<float>::type;
constexpr index_t kLanes = ei::packet_traits<float>::size;

// The activation a tile applies in registers before its store, saving the activation's extra pass over
// the output: none, relu (max(0, .)) or relu6 (then min(., 6)); the values of activation.cpp's.
struct Relu {
  bool on = false;
  float cap = 0.0f;  // > 0: relu6's 6
  explicit operator bool() const { return on; }
};

inline Relu fused_relu(Activation act) {
  return {act == Activation::Relu || act == Activation::Relu6, act == Activation::Relu6 ? 6.0f : 0.0f};
}

// Calls f(std::integral_constant<int, n>) for a run-time n in 1 .. N.
template <int N, class F>
inline void with_count(index_t n, F&& f) {
  if constexpr (N >= 1) {
    if (n == N) return f(std::integral_constant<int, N>{});
    with_count<N - 1>(n, f);
  }
}

// Pixels of the next block, `rest` pixels left: whole blocks, but the last two split evenly when
// a whole block would leave a small tail (few accumulators hide the FMA latency badly).
template <int Block>
constexpr index_t next_block(index_t rest) {
  return rest <= Block ? rest : rest < 2 * Block ? (rest + 1) / 2 : Block;
}

// The taps read by a block of output pixels: tap t reads the input channels at x + x_off[t] (for
// pixel 0 of the block; pixel p reads p * x_pixel_stride further) and multiplies them with the
// weight rows at w + w_off[t], a (in_channels, w_row_stride) row-major block.
struct Taps {
  std::vector<index_t> x_off, w_off;
  void clear() { x_off.clear(); w_off.clear(); }
  void add(index_t x, index_t w) { x_off.push_back(x); w_off.push_back(w); }
  index_t size() const { return static_cast<index_t>(x_off.size()); }
};

// y[p * y_pixel_stride + v * kLanes + lane] for P pixels and V packets of output channels
// = bias (or 0) + the taps' sum, through `relu` if on. x, w, bias and y point at the block's
// first pixel / channel.
template <int P, int V>
inline void tile(const float* x, index_t x_pixel_stride, const Taps& taps, index_t in_channels, const float* w,
                 index_t w_row_stride, const float* bias, float* y, const float* res, index_t y_pixel_stride, Relu relu) {
  Packet acc[P][V];
  for (int v = 0; v < V; ++v) {
    const Packet b = bias ? ei::ploadu<Packet>(bias + v * kLanes) : ei::pset1<Packet>(0.0f);
    for (int p = 0; p < P; ++p) acc[p][v] = b;
  }
  const index_t n = taps.size();
  for (index_t t = 0; t < n; ++t) {
    const float* xt = x + taps.x_off[t];
    const float* wt = w + taps.w_off[t];
    for (index_t c = 0; c < in_channels; ++c, wt += w_row_stride) {
      Packet wv[V];
      for (int v = 0; v < V; ++v) wv[v] = ei::ploadu<Packet>(wt + v * kLanes);
      for (int p = 0; p < P; ++p) {
        const Packet xv = ei::pset1<Packet>(xt[p * x_pixel_stride + c]);
        for (int v = 0; v < V; ++v) acc[p][v] = ei::pmadd(xv, wv[v], acc[p][v]);
      }
    }
  }
  if (res)
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < V; ++v) acc[p][v] = ei::padd(acc[p][v], ei::ploadu<Packet>(res + p * y_pixel_stride + v * kLanes));
  if (relu)
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < V; ++v) {
        acc[p][v] = ei::pmax(acc[p][v], ei::pset1<Packet>(0.0f));
        if (relu.cap > 0.0f) acc[p][v] = ei::pmin(acc[p][v], ei::pset1<Packet>(relu.cap));
      }
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < V; ++v) ei::pstoreu(y + p * y_pixel_stride + v * kLanes, acc[p][v]);
}

// Pixels per block and packets of output channels per pass: 6 x 2 accumulators, 2 weight packets
// and a broadcast fill the 16 AVX2 registers without spilling.
constexpr int kPixels = 6;
constexpr int kPackets = 2;

#ifdef NNKERN_DIRECT_AVX512
// The same with explicit AVX-512 tiles: 32
// registers hold 12 pixels x 32 channels of accumulators, so each weight load feeds 12 FMAs and
// the broadcasts fold into the FMAs. Output channels must be a multiple of 16.
template <int P, int V>
__attribute__((target("avx512f"), always_inline)) inline void tile_avx512(
    const float* x, index_t x_pixel_stride, const Taps& taps, index_t in_channels, const float* w,
    index_t w_row_stride, const float* bias, float* y, const float* res, index_t y_pixel_stride, Relu relu) {
  __m512 acc[P][V];
  for (int v = 0; v < V; ++v) {
    const __m512 b = bias ? _mm512_loadu_ps(bias + v * 16) : _mm512_setzero_ps();
    for (int p = 0; p < P; ++p) acc[p][v] = b;
  }
  const index_t n = taps.size();
  for (index_t t = 0; t < n; ++t) {
    const float* xt = x + taps.x_off[t];
    const float* wt = w + taps.w_off[t];
    for (index_t c = 0; c < in_channels; ++c, wt += w_row_stride) {
      __m512 wv[V];
      for (int v = 0; v < V; ++v) wv[v] = _mm512_loadu_ps(wt + v * 16);
      for (int p = 0; p < P; ++p) {
        const __m512 xv = _mm512_set1_ps(xt[p * x_pixel_stride + c]);
        for (int v = 0; v < V; ++v) acc[p][v] = _mm512_fmadd_ps(xv, wv[v], acc[p][v]);
      }
    }
  }
  if (res)
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < V; ++v)
        acc[p][v] = _mm512_add_ps(acc[p][v], _mm512_loadu_ps(res + p * y_pixel_stride + v * 16));
  if (relu)
    for (int p = 0; p < P; ++p)
      for (int v = 0; v < V; ++v) {  // (the maskz form: GCC 12 warns on _mm512_max_ps's undefined operand)
        acc[p][v] = _mm512_maskz_max_ps(0xFFFF, acc[p][v], _mm512_setzero_ps());
        if (relu.cap > 0.0f) acc[p][v] = _mm512_maskz_min_ps(0xFFFF, acc[p][v], _mm512_set1_ps(relu.cap));
      }
  for (int p = 0; p < P; ++p)
    for (int v = 0; v < V; ++v) _mm512_storeu_ps(y + p * y_pixel_stride + v * 16, acc[p][v]);
}

// Pixels of `pixels` in blocks of up to `Block` (next_block), each block through output channels
// [c0, c1) in steps of V * 16.
template <int V, int Block>
__attribute__((target("avx512f"))) inline void blocks_avx512(index_t pixels, const float* x, index_t x_pixel_stride,
                                                             const Taps& taps, index_t in_channels, const float* w,
                                                             index_t out_channels, const float* bias, float* y,
                                                             const float* res, index_t y_pixel_stride, Relu relu,
                                                             index_t c0, index_t c1) {
  index_t p = 0;
  auto channels = [&](auto pixel_count) __attribute__((target("avx512f"))) {
    constexpr int PC = decltype(pixel_count)::value;
    const float* xp = x + p * x_pixel_stride;
    float* yp = y + p * y_pixel_stride;
    const float* rp = res ? res + p * y_pixel_stride : nullptr;
    for (index_t c = c0; c < c1; c += V * 16)
      tile_avx512<PC, V>(xp, x_pixel_stride, taps, in_channels, w + c, out_channels, bias ? bias + c : nullptr,
                         yp + c, rp ? rp + c : nullptr, y_pixel_stride, relu);
  };
  while (p < pixels) {
    const index_t n = next_block<Block>(pixels - p);
    with_count<Block>(n, channels);
    p += n;
  }
}

// Register blocking by output channels: 64 at a time as 6 pixels x 4 packets (each broadcast feeds
// four FMAs, x is read once for all 64), else 12 pixels x 2 packets, then 16-channel tails.
__attribute__((target("avx512f"))) inline void pixels_all_channels_avx512(
    index_t pixels, const float* x, index_t x_pixel_stride, const Taps& taps, index_t in_channels, const float* w,
    index_t out_channels, const float* bias, float* y, const float* res, index_t y_pixel_stride, Relu relu) {
  const index_t c64 = out_channels / 64 * 64, c32 = c64 + (out_channels - c64) / 32 * 32;
  if (c64 > 0)
    blocks_avx512<4, 6>(pixels, x, x_pixel_stride, taps, in_channels, w, out_channels, bias, y, res, y_pixel_stride,
                        relu, 0, c64);
  if (c32 > c64)
    blocks_avx512<2, 12>(pixels, x, x_pixel_stride, taps, in_channels, w, out_channels, bias, y, res,
                         y_pixel_stride, relu, c64, c32);
  if (out_channels > c32)
    blocks_avx512<1, 12>(pixels, x, x_pixel_stride, taps, in_channels, w, out_channels, bias, y, res,
                         y_pixel_stride, relu, c32, out_channels);
}
#endif

// Up to this many input channels the direct kernel beats im2col + GEMM (1 thread, 3x3: 3 -> 32 on
// 128x128 2.1x faster, 64 -> 64 on 8x56x56 1.16x): with few channels the GEMM's depth (27 for an
// RGB layer) is too shallow for it to run fast, and im2col writes 9x the input every time. The same
// holds for 1x1 (pointwise) layers, whose GEMM has a depth of only in_channels (1 thread, AVX-512, batch
// 1: 16 -> 96 on 112x112 1.7x, 24 -> 144 on 56x56 1.6x, 64 -> 256 on 56x56 1.2x, 64 -> 384 on 14x14 1.4x
// faster). With more input channels the direct kernel was slower on some shapes (960 -> 320 on 7x7
// 0.6x, 320 -> 1280 on 7x7 0.45x: few pixels share each weight load), so they keep the GEMM.
constexpr index_t kMaxInChannels = 64;

// Whether a one-group convolution of these channels runs on the direct kernel (else im2col + GEMM).
inline bool takes(index_t in_channels, index_t out_channels) {
  return in_channels <= kMaxInChannels && out_channels % kLanes == 0;
}

// All output channels (a multiple of kLanes) of `pixels` output pixels that read the same taps;
// `res` (laid out as y, or null): a residual connection's term added after the taps' sum; `relu` applies
// relu or relu6 after that, before the store (no extra pass over the output for either).
inline void pixels_all_channels(index_t pixels, const float* x, index_t x_pixel_stride, const Taps& taps,
                                index_t in_channels, const float* w, index_t out_channels, const float* bias, float* y,
                                const float* res, index_t y_pixel_stride, Relu relu) {
#ifdef NNKERN_DIRECT_AVX512
  // Only for deep taps: with few input channels a tile is mostly its bias loads and stores, and the
  // AVX2 tiles measured faster (3 -> 32 transpose: 0.55 vs 0.62 ms; 64 -> 64 conv: 18.7 vs 17.7 ms).
  if (in_channels >= 16 && out_channels % 16 == 0)
    return pixels_all_channels_avx512(pixels, x, x_pixel_stride, taps, in_channels, w, out_channels, bias, y, res,
                                      y_pixel_stride, relu);
#endif
  index_t p = 0;
  auto channels = [&](auto pixel_count) {
    constexpr int PC = decltype(pixel_count)::value;
    const float* xp = x + p * x_pixel_stride;
    float* yp = y + p * y_pixel_stride;
    const float* rp = res ? res + p * y_pixel_stride : nullptr;
    index_t c = 0;
    for (; c + kPackets * kLanes <= out_channels; c += kPackets * kLanes)
      tile<PC, kPackets>(xp, x_pixel_stride, taps, in_channels, w + c, out_channels, bias ? bias + c : nullptr, yp + c,
                         rp ? rp + c : nullptr, y_pixel_stride, relu);
    for (; c < out_channels; c += kLanes)
      tile<PC, 1>(xp, x_pixel_stride, taps, in_channels, w + c, out_channels, bias ? bias + c : nullptr, yp + c,
                  rp ? rp + c : nullptr, y_pixel_stride, relu);
  };
  while (p < pixels) {
    const index_t n = next_block<kPixels>(pixels - p);
    with_count<kPixels>(n, channels);
    p += n;
  }
}

}  // namespace nnkern::direct
