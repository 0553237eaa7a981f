// One output tile of a float product on AVX-512, with nnkern's own packing and micro-kernel.
// Eigen 3.4's AVX-512 GEMM (a 48 x 4 register block, 7 loads per 12 FMAs) ran at ~120-130 GFLOP/s
// on one Sapphire Rapids core whatever its blocking, vs ~175 for OpenBLAS; this 12 x 32 block
// (2 loads and 12 broadcasts per 24 FMAs, B's micro-panel in L1, A's block in L2) closes most of it.
// Every element of the tile is summed in the same order for a given tile shape: depth chunks of
// kGemmDepthBlock in order, each a sequential FMA chain over its depth, added to the output.
#pragma once
#if defined(__AVX512F__)
#include <immintrin.h>

#include <Eigen/Core>
#include <algorithm>

#include "nnkern/common.hpp"

namespace nnkern::detail {

constexpr index_t kGemmRows = 12;         // rows of a micro-tile: one broadcast of A each
constexpr index_t kGemmCols = 32;         // columns of a micro-tile: two 16-float vectors of B
constexpr index_t kGemmDepthBlock = 256;  // depth per pass: B's micro-panel (32 KiB) stays in L1
// Products of fewer rows go through Eigen: a 12-row micro-tile mostly padding (16 x 256 x 1024:
// ~70 vs ~100 GFLOP/s; 24 rows: ~112 vs ~105).
constexpr index_t kGemmMinRows = 24;
// Narrower products too, unless their columns fill whole micro-panels: padded to a panel, the extra
// columns cost more than Eigen's narrower kernels gain (one Zen 4 core, GFLOP/s, this GEMM vs Eigen:
// 3136 x 144 x 24 ~68 vs ~78, 196 x 672 x 40 ~60 vs ~92, 49 x 960 x 80 ~74 vs ~96; whole panels:
// 3136 x 576 x 64 ~90 vs ~85, 784 x 192 x 32 as fast).
constexpr index_t kGemmMinCols = 96;
inline bool gemm_takes_cols(index_t cols) {
  return cols >= kGemmMinCols || (cols >= kGemmCols && cols % kGemmCols == 0);
}
constexpr index_t kGemmBlockRows = 144;   // rows of A packed at a time (144 KiB at full depth block)

// c[0:rows, 0:cols] (row stride ldc) = (or +=, `add`) ap . bp over `depth`: ap holds kGemmRows floats
// per depth step (rows past `rows` are padding), bp kGemmCols; cols <= kGemmCols (the rest is padding).
// Rows is a template argument so that an edge panel (49 = 4 x 12 + 1 rows of a 7x7 image) multiplies
// only its rows, not the 12 of a full panel.
template <int Rows>
void gemm_micro_tile(index_t depth, const float* ap, const float* bp, float* c, index_t ldc, bool add, index_t cols) {
  __m512 acc[Rows][2];
#pragma GCC unroll 12
  for (int r = 0; r < Rows; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (index_t k = 0; k < depth; ++k) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 12
    for (int r = 0; r < Rows; ++r) {
      const __m512 a = _mm512_set1_ps(ap[r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += kGemmRows;
    bp += kGemmCols;
  }
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : __mmask16(0);
#pragma GCC unroll 12
  for (int r = 0; r < Rows; ++r) {
    float* row = c + r * ldc;
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (add) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), v1);
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
  }
}

// gemm_micro_tile for 1 <= rows <= kGemmRows.
inline void gemm_micro_tile(index_t depth, const float* ap, const float* bp, float* c, index_t ldc, bool add,
                            index_t rows, index_t cols) {
  switch (rows) {
    case 12: return gemm_micro_tile<12>(depth, ap, bp, c, ldc, add, cols);
    case 11: return gemm_micro_tile<11>(depth, ap, bp, c, ldc, add, cols);
    case 10: return gemm_micro_tile<10>(depth, ap, bp, c, ldc, add, cols);
    case 9: return gemm_micro_tile<9>(depth, ap, bp, c, ldc, add, cols);
    case 8: return gemm_micro_tile<8>(depth, ap, bp, c, ldc, add, cols);
    case 7: return gemm_micro_tile<7>(depth, ap, bp, c, ldc, add, cols);
    case 6: return gemm_micro_tile<6>(depth, ap, bp, c, ldc, add, cols);
    case 5: return gemm_micro_tile<5>(depth, ap, bp, c, ldc, add, cols);
    case 4: return gemm_micro_tile<4>(depth, ap, bp, c, ldc, add, cols);
    case 3: return gemm_micro_tile<3>(depth, ap, bp, c, ldc, add, cols);
    case 2: return gemm_micro_tile<2>(depth, ap, bp, c, ldc, add, cols);
    default: return gemm_micro_tile<1>(depth, ap, bp, c, ldc, add, cols);
  }
}

// packed[k * kGemmRows + r] = a[r * lda + k] for r < rows (<= kGemmRows; the rest 0), k < depth:
// 16 x 16 transposes in registers (rows past `rows` read as zeros), then a scalar tail of depth.
// Eigen's strided transposing copy took ~10 % of a 2048^3 product on one Zen 4 core; this ~2 %.
inline void pack_rows_avx512(const float* a, index_t lda, index_t rows, index_t depth, float* packed) {
  const __mmask16 keep = __mmask16((1u << kGemmRows) - 1);
  index_t k = 0;
  for (; k + 16 <= depth; k += 16) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_loadu_ps(a + i * lda + k) : _mm512_setzero_ps();
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
      const __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
      const __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
      r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
      r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
      r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
      r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    // Now r[4q + j] holds, in its 128-bit lane l, element 4l + j of rows 4q .. 4q + 3.
    float* out = packed + k * kGemmRows;
    for (int j = 0; j < 4; ++j) {
      const __m512 u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
      const __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
      const __m512 u3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
      _mm512_mask_storeu_ps(out + j * kGemmRows, keep, _mm512_shuffle_f32x4(u0, u2, 0x88));
      _mm512_mask_storeu_ps(out + (j + 8) * kGemmRows, keep, _mm512_shuffle_f32x4(u0, u2, 0xdd));
      _mm512_mask_storeu_ps(out + (j + 4) * kGemmRows, keep, _mm512_shuffle_f32x4(u1, u3, 0x88));
      _mm512_mask_storeu_ps(out + (j + 12) * kGemmRows, keep, _mm512_shuffle_f32x4(u1, u3, 0xdd));
    }
  }
  for (; k < depth; ++k)
    for (index_t i = 0; i < kGemmRows; ++i) packed[k * kGemmRows + i] = i < rows ? a[i * lda + k] : 0.0f;
}

// An expression whose rows can be read through data() and outerStride(): row-major, contiguous rows.
template <class A>
constexpr bool kRowMajorDirect = bool(Eigen::internal::traits<A>::Flags & Eigen::DirectAccessBit) && A::IsRowMajor &&
                                 A::InnerStrideAtCompileTime == 1;

// packed[k * kGemmCols + j] = b[k * ldb + j] for j < cols (<= kGemmCols; the rest 0), k < depth.
inline void pack_cols_avx512(const float* b, index_t ldb, index_t cols, index_t depth, float* packed) {
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : __mmask16(0);
  for (index_t k = 0; k < depth; ++k, b += ldb, packed += kGemmCols) {
    _mm512_store_ps(packed, _mm512_maskz_loadu_ps(m0, b));
    _mm512_store_ps(packed + 16, _mm512_maskz_loadu_ps(m1, b + 16));
  }
}

// A whole right-hand side (depth x cols) packed once in gemm_tile_avx512's layout (pack_rhs_avx512):
// per depth block of kGemmDepthBlock rows, its column panels of kGemmCols (zero-padded to padded_cols).
struct PackedRhsView {
  const float* data = nullptr;  // null: pack per tile
  index_t padded_cols = 0;
  index_t col0 = 0;  // the tile's first column (a multiple of kGemmCols)
};

inline index_t packed_rhs_padded_cols(index_t cols) { return (cols + kGemmCols - 1) / kGemmCols * kGemmCols; }

// One depth block of B as the micro-kernel reads it: packed (kc x packed_rhs_padded_cols(cols) floats) =
// the column panels of rhs (kc x cols, row stride ld), panel q (kGemmCols columns) at q * kGemmCols * kc.
inline void pack_rhs_block_avx512(const float* rhs, index_t ld, index_t cols, index_t kc, float* packed) {
  for (index_t j0 = 0; j0 < cols; j0 += kGemmCols)
    pack_cols_avx512(rhs + j0, ld, std::min(kGemmCols, cols - j0), kc, packed + j0 * kc);
}

// packed (depth x packed_rhs_padded_cols(cols) floats, 64-byte aligned) = rhs (depth x cols, row stride ld)
// in the layout gemm_tile_avx512 packs B into, for every tile at once.
inline void pack_rhs_avx512(const float* rhs, index_t depth, index_t cols, index_t ld, float* packed) {
  const index_t padded = packed_rhs_padded_cols(cols);
  for (index_t k0 = 0; k0 < depth; k0 += kGemmDepthBlock)
    pack_rhs_block_avx512(rhs + k0 * ld, ld, cols, std::min(kGemmDepthBlock, depth - k0), packed + k0 * padded);
}

// dst (m x n, row-major, row stride ldc) = (or +=, `accumulate`) a (m x K) . b (K x n); a and b any
// Eigen expressions of those shapes. Per depth block, B's block is packed once and A's rows are packed
// kGemmBlockRows at a time (its block stays in L2 while B's micro-panels pass through L1). Packing
// buffers are allocated per call (a tile is >= 1 MFLOP).
template <class A, class B>
void gemm_tile_avx512(const A& a, const B& b, float* dst, index_t ldc, bool accumulate,
                      const PackedRhsView& packed_rhs = {}) {
  using PanelB = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, kGemmCols, Eigen::RowMajor>, Eigen::Aligned64>;
  using PanelA = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, kGemmRows, Eigen::RowMajor>, Eigen::Aligned64>;
  const index_t m = a.rows(), n = b.cols(), K = a.cols();
  const index_t col_panels = (n + kGemmCols - 1) / kGemmCols;
  const index_t block_rows = std::min(m, kGemmBlockRows), block = std::min(K, kGemmDepthBlock);
  const index_t block_panels = (block_rows + kGemmRows - 1) / kGemmRows;
  float* packed_a = static_cast<float*>(Eigen::internal::aligned_malloc(sizeof(float) * block_panels * kGemmRows * block));
  float* packed_b = packed_rhs.data ? nullptr
                                    : static_cast<float*>(Eigen::internal::aligned_malloc(sizeof(float) * col_panels * kGemmCols * block));
  for (index_t k0 = 0; k0 < K; k0 += kGemmDepthBlock) {
    const index_t kc = std::min(kGemmDepthBlock, K - k0);
    const float* panels_b = packed_rhs.data ? packed_rhs.data + k0 * packed_rhs.padded_cols + packed_rhs.col0 * kc : packed_b;
    if (!packed_rhs.data) {  // else B was packed once for every tile
      if constexpr (kRowMajorDirect<B>) {
        pack_rhs_block_avx512(b.data() + k0 * b.outerStride(), b.outerStride(), n, kc, packed_b);
      } else {  // a transposed B (conv2d_transpose)
        for (index_t q = 0; q < col_panels; ++q) {
          const index_t j0 = q * kGemmCols, w = std::min(kGemmCols, n - j0);
          PanelB panel(packed_b + q * kGemmCols * kc, kc, kGemmCols);
          panel.leftCols(w) = b.block(k0, j0, kc, w);
          if (w < kGemmCols) panel.rightCols(kGemmCols - w).setZero();
        }
      }
    }
    const bool add = accumulate || k0 > 0;
    for (index_t r0 = 0; r0 < m; r0 += kGemmBlockRows) {
      const index_t rows = std::min(kGemmBlockRows, m - r0), row_panels = (rows + kGemmRows - 1) / kGemmRows;
      for (index_t p = 0; p < row_panels; ++p) {
        const index_t i0 = r0 + p * kGemmRows, h = std::min(kGemmRows, m - i0);
        float* dst_panel = packed_a + p * kGemmRows * kc;
        if constexpr (kRowMajorDirect<A>) {
          pack_rows_avx512(a.data() + i0 * a.outerStride() + k0, a.outerStride(), h, kc, dst_panel);
        } else {
          PanelA panel(dst_panel, kc, kGemmRows);
          panel.leftCols(h) = a.block(i0, k0, h, kc).transpose();
          if (h < kGemmRows) panel.rightCols(kGemmRows - h).setZero();
        }
      }
      for (index_t q = 0; q < col_panels; ++q) {
        const index_t j0 = q * kGemmCols, w = std::min(kGemmCols, n - j0);
        for (index_t p = 0; p < row_panels; ++p) {
          const index_t i0 = r0 + p * kGemmRows;
          gemm_micro_tile(kc, packed_a + p * kGemmRows * kc, panels_b + q * kGemmCols * kc, dst + i0 * ldc + j0, ldc,
                          add, std::min(kGemmRows, m - i0), w);
        }
      }
    }
  }
  Eigen::internal::aligned_free(packed_a);
  Eigen::internal::aligned_free(packed_b);
}

}  // namespace nnkern::detail
#endif
