// Sigmoid on whole SIMD packets (Eigen's packet type of the variant being compiled), from one exp:
// with e = exp(-|x|) in [0, 1], sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so neither
// branch cancels and the quotient is correctly rounded (about 1 ulp from the exp).
// Eigen's own logistic evaluates a rational function and, when any lane of a packet is below -9, an
// exp as well: the conv outputs a swish or sigmoid follows (magnitudes of ~10) nearly always take both,
// ~0.69 ns per value on a Zen 4 core against ~0.40 for small inputs. This path costs the same for any
// input. Every value, the tail's included, goes through the same packet code, so a value does not
// depend on its position or its buffer's alignment.
#pragma once
#include <Eigen/Core>
#include <immintrin.h>

#include <algorithm>

#include "nnkern/common.hpp"

namespace nnkern::vmath {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr index_t kLanes = Eigen::internal::packet_traits<float>::size;

// Cephes's expf polynomial: exp(r) for |r| <= ln 2 / 2.
inline Packet exp_reduced(Packet r) {
  namespace ei = Eigen::internal;
  Packet p = ei::pset1<Packet>(1.9875691500e-4f);
  p = ei::pmadd(p, r, ei::pset1<Packet>(1.3981999507e-3f));
  p = ei::pmadd(p, r, ei::pset1<Packet>(8.3334519073e-3f));
  p = ei::pmadd(p, r, ei::pset1<Packet>(4.1665795894e-2f));
  p = ei::pmadd(p, r, ei::pset1<Packet>(1.6666665459e-1f));
  p = ei::pmadd(p, r, ei::pset1<Packet>(5.0000001201e-1f));
  return ei::padd(ei::pmadd(p, ei::pmul(r, r), r), ei::pset1<Packet>(1.0f));
}

// exp(-|x|), |x| clamped to 110 (exp(-110) rounds to 0), NaN kept: 2^n exp(r) with
// n = round(-a / ln 2), r = -a - n ln 2 (Cody-Waite, two parts).
#if defined(__AVX512F__)
inline __m512 exp_neg_abs(__m512 x) {
  const __m512 a = _mm512_min_ps(_mm512_set1_ps(110.0f), _mm512_abs_ps(x));  // NaN: 2nd operand, kept
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(a, _mm512_set1_ps(-1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), _mm512_sub_ps(_mm512_setzero_ps(), a));
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  const __m512 y = exp_reduced(r);
  return _mm512_scalef_ps(y, n);  // 2^n y rounded once, into the subnormals too
}

inline __m512 sigmoid(__m512 x) {
  const __m512 e = exp_neg_abs(x);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_div_ps(_mm512_mask_blend_ps(negative, one, e), _mm512_add_ps(one, e));
}
#elif defined(__AVX2__) && defined(__FMA__)
inline __m256 exp_neg_abs(__m256 x) {
  const __m256 a = _mm256_min_ps(_mm256_set1_ps(110.0f), _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(a, _mm256_set1_ps(-1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), _mm256_sub_ps(_mm256_setzero_ps(), a));
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  const __m256 y = exp_reduced(r);
  // 2^n as two normal powers of two (n >= -159), so that 2^n y rounds once, into the subnormals too.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
}

inline __m256 sigmoid(__m256 x) {
  const __m256 e = exp_neg_abs(x);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_div_ps(_mm256_blendv_ps(one, e, negative), _mm256_add_ps(one, e));
}
#else
inline Packet sigmoid(Packet x) { return Eigen::internal::scalar_logistic_op<float>().packetOp(x); }
#endif

// f(packet) over y[0, n) in place, two packets per iteration (independent chains in flight); the tail
// zero-padded to a packet.
template <class F>
inline void map_packets(float* y, index_t n, F f) {
  namespace ei = Eigen::internal;
  index_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const Packet a = f(ei::ploadu<Packet>(y + i)), b = f(ei::ploadu<Packet>(y + i + kLanes));
    ei::pstoreu(y + i, a);
    ei::pstoreu(y + i + kLanes, b);
  }
  for (; i < n; i += kLanes) {
    const index_t m = std::min(kLanes, n - i);
    alignas(64) float tail[kLanes] = {};
    std::copy_n(y + i, m, tail);
    ei::pstore(tail, f(ei::pload<Packet>(tail)));
    std::copy_n(tail, m, y + i);
  }
}

inline void sigmoid_inplace(float* y, index_t n) {
  map_packets(y, n, [](Packet x) { return sigmoid(x); });
}

// Keras's swish, x * sigmoid(x): the same product of the same sigmoid.
inline void swish_inplace(float* y, index_t n) {
  map_packets(y, n, [](Packet x) { return Eigen::internal::pmul(x, sigmoid(x)); });
}

}  // namespace nnkern::vmath
