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
// Narrower products too: their A block, packed per depth block, serves only one or two micro-panels
// of B (3136 x 576 x 64: ~137 vs Eigen's ~148 GFLOP/s; 512 x 1152 x 128: ~178 vs ~120).
constexpr index_t kGemmMinCols = 96;
constexpr index_t kGemmBlockRows = 144;   // rows of A packed at a time (144 KiB at full depth block)

// c[0:rows, 0:cols] (row stride ldc) = (or +=, `add`) ap . bp over `depth`: ap holds kGemmRows floats
// per depth step, bp kGemmCols; rows <= kGemmRows, cols <= kGemmCols (the rest is padding).
inline void gemm_micro_tile(index_t depth, const float* ap, const float* bp, float* c, index_t ldc, bool add,
                            index_t rows, index_t cols) {
  __m512 acc[kGemmRows][2];
#pragma GCC unroll 12
  for (int r = 0; r < kGemmRows; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (index_t k = 0; k < depth; ++k) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kGemmRows; ++r) {
      const __m512 a = _mm512_set1_ps(ap[r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += kGemmRows;
    bp += kGemmCols;
  }
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : __mmask16(0);
  for (index_t r = 0; r < rows; ++r) {
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

// dst (m x n, row-major, row stride ldc) = (or +=, `accumulate`) a (m x K) . b (K x n); a and b any
// Eigen expressions of those shapes. Per depth block, B's block is packed once and A's rows are packed
// kGemmBlockRows at a time (its block stays in L2 while B's micro-panels pass through L1). Packing
// buffers are allocated per call (a tile is >= 1 MFLOP).
template <class A, class B>
void gemm_tile_avx512(const A& a, const B& b, float* dst, index_t ldc, bool accumulate) {
  using PanelB = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, kGemmCols, Eigen::RowMajor>, Eigen::Aligned64>;
  using PanelA = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, kGemmRows, Eigen::RowMajor>, Eigen::Aligned64>;
  const index_t m = a.rows(), n = b.cols(), K = a.cols();
  const index_t col_panels = (n + kGemmCols - 1) / kGemmCols;
  const index_t block_rows = std::min(m, kGemmBlockRows), block = std::min(K, kGemmDepthBlock);
  const index_t block_panels = (block_rows + kGemmRows - 1) / kGemmRows;
  float* packed_a = static_cast<float*>(Eigen::internal::aligned_malloc(sizeof(float) * block_panels * kGemmRows * block));
  float* packed_b = static_cast<float*>(Eigen::internal::aligned_malloc(sizeof(float) * col_panels * kGemmCols * block));
  for (index_t k0 = 0; k0 < K; k0 += kGemmDepthBlock) {
    const index_t kc = std::min(kGemmDepthBlock, K - k0);
    for (index_t q = 0; q < col_panels; ++q) {
      const index_t j0 = q * kGemmCols, w = std::min(kGemmCols, n - j0);
      PanelB panel(packed_b + q * kGemmCols * kc, kc, kGemmCols);
      panel.leftCols(w) = b.block(k0, j0, kc, w);
      if (w < kGemmCols) panel.rightCols(kGemmCols - w).setZero();
    }
    const bool add = accumulate || k0 > 0;
    for (index_t r0 = 0; r0 < m; r0 += kGemmBlockRows) {
      const index_t rows = std::min(kGemmBlockRows, m - r0), row_panels = (rows + kGemmRows - 1) / kGemmRows;
      for (index_t p = 0; p < row_panels; ++p) {
        const index_t i0 = r0 + p * kGemmRows, h = std::min(kGemmRows, m - i0);
        PanelA panel(packed_a + p * kGemmRows * kc, kc, kGemmRows);
        panel.leftCols(h) = a.block(i0, k0, h, kc).transpose();
        if (h < kGemmRows) panel.rightCols(kGemmRows - h).setZero();
      }
      for (index_t q = 0; q < col_panels; ++q) {
        const index_t j0 = q * kGemmCols, w = std::min(kGemmCols, n - j0);
        for (index_t p = 0; p < row_panels; ++p) {
          const index_t i0 = r0 + p * kGemmRows;
          gemm_micro_tile(kc, packed_a + p * kGemmRows * kc, packed_b + q * kGemmCols * kc, dst + i0 * ldc + j0, ldc,
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
