#include "nnkern/dense.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>

#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

namespace ei = Eigen::internal;
using Packet = ei::packet_traits<float>::type;
constexpr index_t kLanes = ei::packet_traits<float>::size;

// Up to this many rows, a row of x times the kernel is a matrix-vector product: Eigen's GEMM would
// pack the whole kernel (4 MiB for 1024 x 1024) to use it once per row.
constexpr index_t kGemvMaxRows = 3;

// y[c0, c1) = bias + x . W[:, c0:c1) for one row x, streaming W's rows four at a time: four
// contiguous streams the prefetcher follows, and one load/store of y per four FMAs.
void gemv_columns(const float* x, const float* w, const float* bias, float* y, index_t K, index_t N, index_t c0,
                  index_t c1) {
  if (bias)
    std::copy(bias + c0, bias + c1, y + c0);
  else
    std::fill(y + c0, y + c1, 0.0f);
  const index_t vec_end = c0 + (c1 - c0) / kLanes * kLanes;
  index_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float* w0 = w + k * N;
    const float *w1 = w0 + N, *w2 = w1 + N, *w3 = w2 + N;
    const Packet x0 = ei::pset1<Packet>(x[k]), x1 = ei::pset1<Packet>(x[k + 1]);
    const Packet x2 = ei::pset1<Packet>(x[k + 2]), x3 = ei::pset1<Packet>(x[k + 3]);
    for (index_t c = c0; c < vec_end; c += kLanes) {
      Packet a = ei::pmadd(x0, ei::ploadu<Packet>(w0 + c), ei::ploadu<Packet>(y + c));
      Packet b = ei::pmul(x1, ei::ploadu<Packet>(w1 + c));
      a = ei::pmadd(x2, ei::ploadu<Packet>(w2 + c), a);
      b = ei::pmadd(x3, ei::ploadu<Packet>(w3 + c), b);
      ei::pstoreu(y + c, ei::padd(a, b));
    }
    for (index_t c = vec_end; c < c1; ++c) y[c] += x[k] * w0[c] + x[k + 1] * w1[c] + x[k + 2] * w2[c] + x[k + 3] * w3[c];
  }
  for (; k < K; ++k) {
    const float* wk = w + k * N;
    const Packet xk = ei::pset1<Packet>(x[k]);
    for (index_t c = c0; c < vec_end; c += kLanes)
      ei::pstoreu(y + c, ei::pmadd(xk, ei::ploadu<Packet>(wk + c), ei::ploadu<Packet>(y + c)));
    for (index_t c = vec_end; c < c1; ++c) y[c] += x[k] * wk[c];
  }
}

// Few rows: each row a matrix-vector product, the columns split between threads. A column's sum is
// the same in any block (blocks are whole packets, so the vector/tail split of columns is N's), so
// the blocks may follow the thread count.
void dense_gemv(const float* x, const float* kernel, const float* bias, float* y, index_t M, index_t K, index_t N,
                int threads) {
  // Column blocks are whole packets, so every thread's stores stay on its own cache lines mostly.
  const index_t per_thread = (N + threads - 1) / threads;
  const index_t block = std::min(N, (per_thread + kLanes - 1) / kLanes * kLanes);
  const index_t blocks = (N + block - 1) / block;
  detail::run_parallel(threads, [&] {
#pragma omp for schedule(static)
    for (index_t task = 0; task < M * blocks; ++task) {
      const index_t r = task / blocks, b = task % blocks;
      gemv_columns(x + r * K, kernel, bias, y + r * N, K, N, b * block, std::min(N, (b + 1) * block));
    }
  });
}

}  // namespace

void validate(const DenseShape& s) {
  checked_product({s.batch, s.in_features}, "dense input");
  checked_product({s.in_features, s.out_features}, "dense kernel");
  checked_product({s.batch, s.out_features}, "dense output");
}

void dense(const float* x, const float* kernel, const float* bias, float* y, const DenseShape& s,
           Activation act) {
  detail::begin_call();
  const index_t M = s.batch, K = s.in_features, N = s.out_features;
  if (M == 0 || N == 0) return;
  Eigen::Map<RowMatrix> out(y, M, N);
  if (K == 0) {
    out.setZero();
  } else if (M <= kGemvMaxRows) {
    // Memory-bound: the whole kernel streams through once per call (4 MiB for 1024 x 1024).
    dense_gemv(x, kernel, bias, y, M, K, N, threads_for_bytes(4.0 * (K * N + M * (K + N))));
    if (act != Activation::Linear) bias_activation(y, M, N, nullptr, act);
    return;
  } else {
    Eigen::Map<const RowMatrix> xm(x, M, K), wm(kernel, K, N);
    detail::tiled_product(xm, wm, out, false, threads_for_work(2.0 * M * N * K));
  }
  bias_activation(y, M, N, bias, act);
}

}  // namespace nnkern
