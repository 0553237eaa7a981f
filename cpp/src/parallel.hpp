// How kernels run in parallel: one OpenMP team per call, sized by the call (never a process-wide
// setting), recorded for last_call_threads(); and products split into output tiles of fixed sizes.
#pragma once
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

#include "nnkern/common.hpp"
#include "nnkern/threads.hpp"
#include "gemm_avx512.hpp"

namespace nnkern::detail {

// Runs body() on a team of up to `threads` threads; the orphaned `#pragma omp for` loops inside body
// share their iterations among the team. One thread: a plain call, without a parallel region (even
// an inactive one costs ~0.1 us).
template <class Body>
void run_parallel(int threads, Body&& body) {
  if (threads <= 1) {
    body();
    return;
  }
  note_workers_started();
  int team = 1;
#pragma omp parallel num_threads(threads)
  {
    if (omp_get_thread_num() == 0) team = omp_get_num_threads();
    body();
  }
  note_team(team);
}

// task(i) for i in [0, count), shared dynamically by a team of up to `threads`. One thread: a plain
// loop without any OpenMP construct, so that it may run inside another parallel loop (worksharing
// loops must not nest).
template <class Task>
void parallel_for(index_t count, int threads, Task&& task) {
  if (threads <= 1 || count <= 1) {
    for (index_t i = 0; i < count; ++i) task(i);
    return;
  }
  run_parallel(static_cast<int>(std::min<index_t>(threads, count)), [&] {
#pragma omp for schedule(dynamic)
    for (index_t i = 0; i < count; ++i) task(i);
  });
}

// Floats of pack_product_rhs's copy of a (depth x cols) right-hand side; 0 where this build's products
// do not use one (Eigen's GEMM, which packs per product, and the products gemm_takes_cols refuses).
inline index_t packed_product_rhs_floats(index_t depth, index_t cols) {
#if defined(__AVX512F__)
  return gemm_takes_cols(cols) ? depth * packed_rhs_padded_cols(cols) : 0;
#else
  (void)depth, (void)cols;
  return 0;
#endif
}

// packed (packed_product_rhs_floats(depth, cols) floats, 64-byte aligned; nonzero) = rhs (depth x cols,
// row stride ld) in the micro-kernel's layout, for tiled_product's `packed_b`: a model's weights packed
// once instead of in every tile of every call.
inline void pack_product_rhs(const float* rhs, index_t depth, index_t cols, index_t ld, float* packed) {
#if defined(__AVX512F__)
  pack_rhs_avx512(rhs, depth, cols, ld, packed);
#else
  (void)rhs, (void)depth, (void)cols, (void)ld, (void)packed;
#endif
}

// A product's output tiles. Each element of the output is summed by one single-threaded product over
// its tile, and the tiles depend on the shape only, so every element gets the same reduction order
// whatever the thread count (Eigen's own parallel GEMM chooses its depth blocking from the thread
// count). Eigen (AVX2): 512-row tiles, halved down to 128 rows as below; on one AMD Zen 3 core 512 x 256
// tiles ran 256x1024x1024 at 76-78 GFLOP/s and 2048^3 at 81, 128 x 256 tiles at 70-71 (the right-hand
// side is packed once per row of tiles; 32-row tiles were ~25 % slower still). AVX-512 (gemm_avx512.hpp):
// taller tiles, as its B block is packed once per tile and depth block (2048^3 on one core: 576 rows
// ~150 GFLOP/s, 144 rows ~116), halved down to 144 rows while that leaves fewer than
// kProductMinTiles tiles to share among threads (from the shape only, never the thread count).
#if defined(__AVX512F__)
constexpr index_t kProductTileRows = 576, kProductMinTileRows = 144;
#else
constexpr index_t kProductTileRows = 512, kProductMinTileRows = 128;
#endif
constexpr index_t kProductTileCols = 256;
constexpr index_t kProductMinTiles = 4;

// c = a . b, or c += a . b when `accumulate`; a, b Eigen matrix expressions, c (M, N) a writable
// row-major matrix or map. Products too small to thread (kMinParallelFlops) are one tile. `packed_b`:
// b packed by pack_product_rhs (same values: the result is bitwise the same), or null.
template <class A, class B, class C>
void tiled_product(const A& a, const B& b, C&& c, bool accumulate, int threads, const float* packed_b = nullptr) {
  static_assert(std::decay_t<C>::IsRowMajor, "tiled_product writes a row-major output");
#if !defined(__AVX512F__)
  (void)packed_b;  // Eigen's GEMM packs per product
#endif
  const index_t M = c.rows(), N = c.cols();
  if (M == 0 || N == 0) return;
  const bool whole = 2.0 * M * N * a.cols() < kMinParallelFlops;
  const index_t tile_cols = whole ? N : kProductTileCols, col_tiles = (N + tile_cols - 1) / tile_cols;
  index_t tile_rows = whole ? M : kProductTileRows;
  while (!whole && tile_rows > kProductMinTileRows && (M + tile_rows - 1) / tile_rows * col_tiles < kProductMinTiles)
    tile_rows /= 2;
  const index_t row_tiles = (M + tile_rows - 1) / tile_rows;
  parallel_for(row_tiles * col_tiles, threads, [&](index_t t) {
    const index_t r0 = t / col_tiles * tile_rows, c0 = t % col_tiles * tile_cols;
    const index_t m = std::min(tile_rows, M - r0), n = std::min(tile_cols, N - c0);
#if defined(__AVX512F__)
    // The choice depends on the shape only (not the tile), as the reduction order must.
    if (M >= kGemmMinRows && gemm_takes_cols(N)) {
      gemm_tile_avx512(a.middleRows(r0, m), b.middleCols(c0, n), c.data() + r0 * c.outerStride() + c0,
                       c.outerStride(), accumulate, {packed_b, packed_rhs_padded_cols(N), c0});
      return;
    }
#endif
    auto dst = c.block(r0, c0, m, n);
    if (accumulate)
      dst.noalias() += a.middleRows(r0, m) * b.middleCols(c0, n);
    else
      dst.noalias() = a.middleRows(r0, m) * b.middleCols(c0, n);
  });
}

}  // namespace nnkern::detail
