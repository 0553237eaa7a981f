#include "nnkern/dense.hpp"

#include <Eigen/Core>

#include "nnkern/threads.hpp"

namespace nnkern {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void validate(const DenseShape& s) {
  checked_product({s.batch, s.in_features}, "dense input");
  checked_product({s.in_features, s.out_features}, "dense kernel");
  checked_product({s.batch, s.out_features}, "dense output");
}

void dense(const float* x, const float* kernel, const float* bias, float* y, const DenseShape& s,
           Activation act) {
  const index_t M = s.batch, K = s.in_features, N = s.out_features;
  if (M == 0 || N == 0) return;
  Eigen::Map<RowMatrix> out(y, M, N);
  if (K == 0) {
    out.setZero();
  } else {
    Eigen::Map<const RowMatrix> xm(x, M, K), wm(kernel, K, N);
    Eigen::setNbThreads(threads_for_work(2.0 * M * N * K));
    out.noalias() = xm * wm;
  }
  bias_activation(y, M, N, bias, act);
}

}  // namespace nnkern
