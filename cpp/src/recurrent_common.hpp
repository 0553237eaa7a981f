// What the sequence kernels (lstm.cpp, recurrent.cpp) share: float scratch on cache lines, filling
// pre-activation rows with a bias, and StepProduct, the per-step product with a matrix packed once
// (batch 1: a row vector times the matrix as it is, row_times_matrix).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "nnkern/common.hpp"

namespace nnkern::detail {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// Uninitialised float scratch, allocated once per call, on a cache line (64 bytes) so that the
// gate rows' vector loads do not straddle lines.
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Scratch = std::unique_ptr<float[], FreeDeleter>;
inline Scratch scratch(index_t n) {
  const size_t bytes = (sizeof(float) * static_cast<size_t>(n > 0 ? n : 1) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  return Scratch(p);
}

// Every row of z (rows, cols; leading dimension ld) set to the bias (or 0), so that the products
// can accumulate into it: Eigen's `=` product would zero the block first anyway.
inline void fill_with_bias(float* z, index_t rows, index_t cols, index_t ld, const float* bias) {
  Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> zm(z, rows, cols, Eigen::OuterStride<>(ld));
  if (bias)
    zm.rowwise() = Eigen::Map<const Eigen::RowVectorXf>(bias, cols);
  else
    zm.setZero();
}
inline void fill_with_bias(float* z, index_t rows, index_t cols, const float* bias) {
  fill_with_bias(z, rows, cols, cols, bias);
}

// z (1, cols) += h (1, depth) . M (depth, cols; leading dimension ld): batch 1's per-step product.
// A block of columns stays in registers over the whole depth: per k one broadcast of h[k] and one
// FMA per packet on row k of M; z is read and written once. Such a step is bound by reading M from
// L2 (LSTM(64): 64 x 256 floats, 64 KiB, twice the L1d), so the rows go forwards and backwards on
// alternate steps (`backwards`): a step starts on the rows the previous one read last, still in L1,
// about half of a matrix twice the L1's size. 64 x 256 on Zen 4 (AVX-512, aligned rows): 0.60 us
// in one direction, 0.50 alternating, Eigen's matrix-vector product 0.59; 128 x 384 (six times
// the L1) gains a few percent. Every element is one FMA chain z_j + h_k M_kj + ... over k in the step's
// order, in the register blocks and the scalar tail alike, so its value does not depend on where
// the blocks fall.
namespace row_times_matrix_detail {
using Packet = Eigen::internal::packet_traits<float>::type;
constexpr index_t kLanes = Eigen::internal::packet_traits<float>::size;
// Accumulators per block (the rows of M are FMA memory operands, one register holds h[k]): 12 of
// AVX2's 16 registers; 16 of AVX-512's 32, not 24: the smaller the last block, the more of it the
// next step finds in L1 (GRU(128), M 128 x 384, batch 1, Zen 4: 16 packets 3.5 % faster than the
// old Eigen product, 24 packets 5.6 % slower).
#if defined(EIGEN_VECTORIZE_AVX512)
constexpr int kMaxPackets = 16;
#else
constexpr int kMaxPackets = 12;
#endif

template <int Packets, bool Backwards>
void block(const float* h, const float* m, index_t ld, index_t depth, float* z) {
  namespace ei = Eigen::internal;
  if constexpr (Packets > 0) {
    Packet acc[Packets];
    for (int r = 0; r < Packets; ++r) acc[r] = ei::ploadu<Packet>(z + r * kLanes);
    for (index_t i = 0; i < depth; ++i) {
      const index_t k = Backwards ? depth - 1 - i : i;
      const Packet hk = ei::pset1<Packet>(h[k]);
      const float* row = m + k * ld;
      for (int r = 0; r < Packets; ++r) acc[r] = ei::pmadd(hk, ei::ploadu<Packet>(row + r * kLanes), acc[r]);
    }
    for (int r = 0; r < Packets; ++r) ei::pstoreu(z + r * kLanes, acc[r]);
  }
}

using BlockFn = void (*)(const float*, const float*, index_t, index_t, float*);
template <bool Backwards, size_t... P>
constexpr std::array<BlockFn, sizeof...(P)> block_table(std::index_sequence<P...>) {
  return {&block<static_cast<int>(P), Backwards>...};
}
}  // namespace row_times_matrix_detail

inline void row_times_matrix(const float* h, const float* m, index_t ld, index_t depth, index_t cols, float* z,
                             bool backwards) {
  namespace rd = row_times_matrix_detail;
  constexpr index_t kBlockCols = rd::kMaxPackets * rd::kLanes;
  static constexpr auto kForward = rd::block_table<false>(std::make_index_sequence<rd::kMaxPackets>());
  static constexpr auto kBackward = rd::block_table<true>(std::make_index_sequence<rd::kMaxPackets>());
  // Whole blocks, a partial block of `packets`, a scalar tail; backwards also in reverse block order,
  // so that the step starts on the columns the previous one read last.
  const index_t full = cols / kBlockCols, partial = full * kBlockCols;
  const index_t packets = (cols - partial) / rd::kLanes, tail = partial + packets * rd::kLanes;
  auto whole_block = [&](index_t b) {
    const index_t j = b * kBlockCols;
    (backwards ? rd::block<rd::kMaxPackets, true> : rd::block<rd::kMaxPackets, false>)(h, m + j, ld, depth, z + j);
  };
  auto partial_block = [&] { (backwards ? kBackward : kForward)[packets](h, m + partial, ld, depth, z + partial); };
  auto scalar_tail = [&] {
    for (index_t j = tail; j < cols; ++j) {
      float s = z[j];
      for (index_t i = 0; i < depth; ++i) {
        const index_t k = backwards ? depth - 1 - i : i;
        s = std::fma(h[k], m[k * ld + j], s);
      }
      z[j] = s;
    }
  };
  if (!backwards) {
    for (index_t b = 0; b < full; ++b) whole_block(b);
    partial_block();
    scalar_tail();
  } else {
    scalar_tail();
    partial_block();
    for (index_t b = full - 1; b >= 0; --b) whole_block(b);
  }
}

// z (N, rows) += a (N, depth) . M (depth, rows), all row-major with leading dimensions (so that a
// slice of M's columns, or x's step t inside (N, T, F), works the same), for every step of a
// sequence: M is W or U, a is x_t or h. M is the same at every step, so it is packed once per call
// into the panel layout of Eigen's GEMM kernel (gebp), which Eigen's own product would redo at each
// step. In column-major terms this is z^T += M^T a^T with M^T as the left-hand side, which is how
// Eigen runs a row-major product. Batch 1 is a row vector times M, which needs no packing:
// row_times_matrix.
class StepProduct {
  using Traits = Eigen::internal::gebp_traits<float, float>;
  using LhsMapper = Eigen::internal::const_blas_data_mapper<float, Eigen::Index, Eigen::ColMajor>;
  using RhsMapper = Eigen::internal::const_blas_data_mapper<float, Eigen::Index, Eigen::ColMajor>;
  using ResMapper = Eigen::internal::blas_data_mapper<float, Eigen::Index, Eigen::ColMajor, Eigen::Unaligned, 1>;

 public:
  StepProduct(const float* m, index_t m_ld, index_t depth, index_t rows, index_t batch)
      : U_(m), u_ld_(m_ld), units_(depth), rows_(rows), batch_(batch) {
    if (rows_ == 0 || units_ == 0) return;
    if (batch_ <= 1) {
      // Batch 1 reads M as it is if its rows start on vector boundaries (layer weights do: Variable
      // aligns them), else from an aligned copy: a straddling vector load costs two lines, and
      // row_times_matrix ran 12 % slower on unaligned rows of a 64 x 256 M (from L2), 60 % at 16 x 256 (L1).
      constexpr index_t kAlignFloats = EIGEN_MAX_ALIGN_BYTES / sizeof(float);
      if (reinterpret_cast<std::uintptr_t>(m) % EIGEN_MAX_ALIGN_BYTES == 0 && m_ld % kAlignFloats == 0) return;
      u_ld_ = (rows_ + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
      packed_u_.resize(units_ * u_ld_);
      for (index_t k = 0; k < units_; ++k) std::copy_n(m + k * m_ld, rows_, packed_u_.data() + k * u_ld_);
      U_ = packed_u_.data();
      return;
    }
    Eigen::Index kc = units_, mc = rows_, nc = batch_;
    Eigen::internal::computeProductBlockingSizes<float, float, 1>(kc, mc, nc, Eigen::Index(1));
    kc_ = kc;
    mc_ = mc;
    nc_ = nc;
    // Packed blocks (row block i2, depth block k2), each starting on a 64-byte boundary.
    index_t total = 0;
    for (index_t k2 = 0; k2 < units_; k2 += kc_)
      for (index_t i2 = 0; i2 < rows_; i2 += mc_) {
        offsets_.push_back(total);
        total += (block_rows(i2) * block_depth(k2) + 15) / 16 * 16;
      }
    packed_u_.resize(total);
    rhs_panel_.resize(kc_ * nc_ + 16);
    Eigen::internal::gemm_pack_lhs<float, Eigen::Index, LhsMapper, Traits::mr, Traits::LhsProgress,
                                   Traits::LhsPacket4Packing, Eigen::ColMajor>
        pack_lhs;
    const LhsMapper lhs(U_, u_ld_);
    size_t b = 0;
    for (index_t k2 = 0; k2 < units_; k2 += kc_)
      for (index_t i2 = 0; i2 < rows_; i2 += mc_)
        pack_lhs(packed_u_.data() + offsets_[b++], lhs.getSubMapper(i2, k2), block_depth(k2), block_rows(i2));
  }

  // z += a . M for the batch given at construction.
  void accumulate(const float* h, index_t h_ld, float* z, index_t z_ld) {
    if (rows_ == 0 || units_ == 0) return;
    if (batch_ <= 1) {
      row_times_matrix(h, U_, u_ld_, units_, rows_, z, backwards_);
      backwards_ = !backwards_;
      return;
    }
    Eigen::internal::gemm_pack_rhs<float, Eigen::Index, RhsMapper, Traits::nr, Eigen::ColMajor> pack_rhs;
    Eigen::internal::gebp_kernel<float, float, Eigen::Index, ResMapper, Traits::mr, Traits::nr> gebp;
    const RhsMapper rhs(h, h_ld);
    const ResMapper res(z, z_ld);
    const index_t row_blocks = (rows_ + mc_ - 1) / mc_;
    for (index_t k2 = 0, first_block = 0; k2 < units_; k2 += kc_, first_block += row_blocks) {
      for (index_t j2 = 0; j2 < batch_; j2 += nc_) {  // one column block unless the batch is huge
        const index_t cols = std::min(j2 + nc_, batch_) - j2;
        pack_rhs(rhs_panel_.data(), rhs.getSubMapper(k2, j2), block_depth(k2), cols);
        for (index_t r = 0; r < row_blocks; ++r) {
          const index_t i2 = r * mc_;
          gebp(res.getSubMapper(i2, j2), packed_u_.data() + offsets_[first_block + r], rhs_panel_.data(),
               block_rows(i2), block_depth(k2), cols, 1.0f);
        }
      }
    }
  }

  // Batch 1: M as row_times_matrix reads it (the caller's or the aligned copy), its leading
  // dimension, and the direction of the next accumulate.
  const float* matrix() const { return U_; }
  index_t matrix_ld() const { return u_ld_; }
  bool next_backwards() const { return backwards_; }

 private:
  index_t block_rows(index_t i2) const { return std::min(i2 + mc_, rows_) - i2; }
  index_t block_depth(index_t k2) const { return std::min(k2 + kc_, units_) - k2; }

  const float* U_;
  index_t u_ld_, units_, rows_, batch_;
  bool backwards_ = false;
  index_t kc_ = 0, mc_ = 0, nc_ = 0;  // Eigen's cache blocking along depth, rows of M^T, batch
  std::vector<index_t> offsets_;
  AlignedFloats packed_u_, rhs_panel_;
};

}  // namespace nnkern::detail
