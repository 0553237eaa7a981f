#include "nnkern/lstm.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <memory>
#include <vector>

#include "nnkern/threads.hpp"

namespace nnkern {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// Rough cost of the gate math per unit and sample (five activations, a few products), used only
// to decide whether the per-step gate pass is worth a parallel region.
constexpr double kGateFlopsPerUnit = 60.0;

// Uninitialised float scratch, allocated once per call.
std::unique_ptr<float[]> scratch(index_t n) { return std::unique_ptr<float[]>(new float[n > 0 ? n : 1]); }

// Keras's default gates (sigmoid / tanh) for one sample, written packet by packet with Eigen's own
// logistic and tanh (the same functions as .logistic() / .tanh(), so the same values): four
// packets per iteration keep several of the long, independent polynomial chains in flight, which
// the one-packet loop of an Eigen array expression does not (about 30% faster here).
void lstm_gates_sigmoid_tanh(const float* z, float* c, float* h, index_t u) {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<float>::type;
  constexpr index_t kLanes = ei::packet_traits<float>::size, kUnroll = 4;
  const ei::scalar_logistic_op<float> sigmoid;
  const ei::scalar_tanh_op<float> tanh;
  const float *zi = z, *zf = z + u, *zg = z + 2 * u, *zo = z + 3 * u;
  index_t j = 0;
  for (; j + kUnroll * kLanes <= u; j += kUnroll * kLanes) {
    Packet c_new[kUnroll], o[kUnroll];
    for (index_t r = 0; r < kUnroll; ++r) {
      const index_t k = j + r * kLanes;
      const Packet i = sigmoid.packetOp(ei::ploadu<Packet>(zi + k));
      const Packet f = sigmoid.packetOp(ei::ploadu<Packet>(zf + k));
      const Packet g = tanh.packetOp(ei::ploadu<Packet>(zg + k));
      o[r] = sigmoid.packetOp(ei::ploadu<Packet>(zo + k));
      c_new[r] = ei::pmadd(f, ei::ploadu<Packet>(c + k), ei::pmul(i, g));
    }
    for (index_t r = 0; r < kUnroll; ++r) {
      const index_t k = j + r * kLanes;
      ei::pstoreu(c + k, c_new[r]);
      ei::pstoreu(h + k, ei::pmul(o[r], tanh.packetOp(c_new[r])));
    }
  }
  const index_t rest = u - j;  // the tail, as an array expression
  if (rest == 0) return;
  using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;
  ConstArrayMap ti(zi + j, rest), tf(zf + j, rest), tg(zg + j, rest), to(zo + j, rest);
  ArrayMap tc(c + j, rest), th(h + j, rest);
  tc = tf.logistic() * tc + ti.logistic() * tg.tanh();
  th = to.logistic() * tc.tanh();
}

// Gate math for one sample. z: the 4u pre-activations (i, f, c, o), overwritten; c: carry in,
// new carry out (in place); h: new output. Activations other than sigmoid/tanh go gate by gate
// through bias_activation, which also gives softmax its Keras meaning here (over the u values of
// one gate).
void lstm_gates(float* z, float* c, float* h, index_t u, Activation act, Activation ract) {
  if (act == Activation::Tanh && ract == Activation::Sigmoid) return lstm_gates_sigmoid_tanh(z, c, h, u);
  ArrayMap zi(z, u), zf(z + u, u), zg(z + 2 * u, u), zo(z + 3 * u, u), cm(c, u), hm(h, u);
  for (int gate = 0; gate < 4; ++gate) bias_activation(z + gate * u, 1, u, nullptr, gate == 2 ? act : ract);
  cm = zf * cm + zi * zg;
  hm = cm;
  bias_activation(h, 1, u, nullptr, act);
  hm *= zo;
}

// Every row of z (rows, 4u) set to the bias (or 0), so that the products can accumulate into it:
// Eigen's `=` product would zero the block first anyway.
void fill_with_bias(float* z, index_t rows, index_t gates, const float* bias) {
  Eigen::Map<RowMatrix> zm(z, rows, gates);
  if (bias)
    zm.rowwise() = Eigen::Map<const Eigen::RowVectorXf>(bias, gates);
  else
    zm.setZero();
}

// z (N, rows) += h (N, u) . U (u, rows), all row-major (leading dimensions z_ld and u_ld, so that a
// slice of U's columns works the same), for every step of a sequence. U is the same at every step,
// so it is packed once per call into the panel layout of Eigen's GEMM kernel (gebp), which Eigen's
// own product would redo at each step. In column-major terms this is z^T += U^T h^T with U^T as
// the left-hand side, which is how Eigen runs a row-major product. Batch 1 is a matrix-vector
// product, where Eigen packs nothing: it uses Eigen's product.
class RecurrentProduct {
  using Traits = Eigen::internal::gebp_traits<float, float>;
  using LhsMapper = Eigen::internal::const_blas_data_mapper<float, Eigen::Index, Eigen::ColMajor>;
  using RhsMapper = Eigen::internal::const_blas_data_mapper<float, Eigen::Index, Eigen::ColMajor>;
  using ResMapper = Eigen::internal::blas_data_mapper<float, Eigen::Index, Eigen::ColMajor, Eigen::Unaligned, 1>;
  using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
  using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

 public:
  RecurrentProduct(const float* recurrent_kernel, index_t u_ld, index_t units, index_t rows, index_t batch)
      : U_(recurrent_kernel), u_ld_(u_ld), units_(units), rows_(rows), batch_(batch) {
    if (batch_ <= 1 || rows_ == 0) return;
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

  // z += h . U for the batch given at construction; h has u columns, z has leading dimension z_ld.
  void accumulate(const float* h, float* z, index_t z_ld) {
    if (rows_ == 0) return;
    if (batch_ <= 1) {
      StridedMap(z, batch_, rows_, Eigen::OuterStride<>(z_ld)).noalias() +=
          Eigen::Map<const RowMatrix>(h, batch_, units_) *
          ConstStridedMap(U_, units_, rows_, Eigen::OuterStride<>(u_ld_));
      return;
    }
    Eigen::internal::gemm_pack_rhs<float, Eigen::Index, RhsMapper, Traits::nr, Eigen::ColMajor> pack_rhs;
    Eigen::internal::gebp_kernel<float, float, Eigen::Index, ResMapper, Traits::mr, Traits::nr> gebp;
    const RhsMapper rhs(h, units_);
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

 private:
  index_t block_rows(index_t i2) const { return std::min(i2 + mc_, rows_) - i2; }
  index_t block_depth(index_t k2) const { return std::min(k2 + kc_, units_) - k2; }

  const float* U_;
  index_t u_ld_, units_, rows_, batch_;
  index_t kc_ = 0, mc_ = 0, nc_ = 0;  // Eigen's cache blocking along depth, rows of U^T, batch
  std::vector<index_t> offsets_;
  AlignedFloats packed_u_, rhs_panel_;
};

// Several threads split a step by units: thread s owns units [first(s), first(s + 1)). The gate
// columns of W, U and b are reordered so that each slice's (i, f, c, o) columns are adjacent, as
// (i, f, c, o) of a narrower LSTM: a thread then computes its slice's pre-activations and gates
// without waiting for the others, and a step needs one barrier (h is complete) instead of three.
struct UnitSlices {
  index_t units, count;
  index_t first(index_t s) const {  // slice starts on whole packets of units
    constexpr index_t kAlign = 8;
    return std::min(units, (units * s / count + kAlign - 1) / kAlign * kAlign);
  }
  // Column j of the reordered (rows, 4u) matrix m, from the Keras order.
  std::vector<float> reorder(const float* m, index_t rows) const {
    const index_t G = 4 * units;
    std::vector<float> out(static_cast<size_t>(rows * G));
    for (index_t r = 0; r < rows; ++r)
      for (index_t s = 0; s < count; ++s) {
        const index_t u0 = first(s), width = first(s + 1) - u0;
        for (index_t g = 0; g < 4; ++g)
          std::copy_n(m + r * G + g * units + u0, width, out.data() + r * G + 4 * u0 + g * width);
      }
    return out;
  }
};

}  // namespace

void validate(const LstmShape& s) {
  const index_t gates = checked_product({s.units, 4}, "lstm units");
  checked_product({s.batch, s.timesteps, s.input_dim}, "lstm input");
  checked_product({s.input_dim, gates}, "lstm kernel");
  checked_product({s.units, gates}, "lstm recurrent_kernel");
  checked_product({s.batch, s.timesteps, gates}, "lstm gate pre-activations");
  checked_product({s.batch, s.timesteps, s.units}, "lstm output");
}

double lstm_flops(const LstmShape& s) {
  return 2.0 * s.timesteps * s.batch * (s.input_dim + s.units) * 4.0 * s.units;
}

void lstm_step(const float* x_t, const float* h, const float* c, const float* kernel, const float* recurrent_kernel,
               const float* bias, float* h_out, float* c_out, const LstmShape& s, Activation activation,
               Activation recurrent_activation) {
  const index_t N = s.batch, F = s.input_dim, u = s.units, G = 4 * u;
  if (N == 0 || u == 0) return;
  auto z = scratch(N * G);
  fill_with_bias(z.get(), N, G, bias);
  Eigen::Map<RowMatrix> zm(z.get(), N, G);
  Eigen::setNbThreads(threads_for_work(2.0 * N * (F + u) * G));
  if (F > 0) zm.noalias() += Eigen::Map<const RowMatrix>(x_t, N, F) * Eigen::Map<const RowMatrix>(kernel, F, G);
  // h_out may alias h: the product reads all of h before any gate writes h_out.
  zm.noalias() += Eigen::Map<const RowMatrix>(h, N, u) * Eigen::Map<const RowMatrix>(recurrent_kernel, u, G);
  if (c_out != c) std::copy(c, c + N * u, c_out);
  const int threads = threads_for_work(kGateFlopsPerUnit * N * u);
#pragma omp parallel for num_threads(threads) if (threads > 1)
  for (index_t n = 0; n < N; ++n)
    lstm_gates(z.get() + n * G, c_out + n * u, h_out + n * u, u, activation, recurrent_activation);
}

void lstm_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                   const float* initial_h, const float* initial_c, const std::uint8_t* mask, float* output,
                   float* h_out, float* c_out, const LstmShape& s, const LstmOptions& options) {
  const index_t N = s.batch, T = s.timesteps, F = s.input_dim, u = s.units, G = 4 * u;
  if (N == 0 || u == 0) return;
  // h_out / c_out are the running state.
  if (initial_h) std::copy(initial_h, initial_h + N * u, h_out); else std::fill(h_out, h_out + N * u, 0.0f);
  if (initial_c) std::copy(initial_c, initial_c + N * u, c_out); else std::fill(c_out, c_out + N * u, 0.0f);

  if (T > 0) {
    // One step's work (recurrent product + gates) decides the threads. The unit split needs
    // elementwise activations (softmax would act across a whole gate).
    const bool elementwise = options.activation != Activation::Softmax &&
                             options.activation != Activation::LogSoftmax &&
                             options.recurrent_activation != Activation::Softmax &&
                             options.recurrent_activation != Activation::LogSoftmax;
    int threads = N > 1 && elementwise ? threads_for_work(2.0 * N * u * G + kGateFlopsPerUnit * N * u) : 1;
    const UnitSlices slices{u, std::min<index_t>(threads, (u + 7) / 8)};
    threads = slices.count < 2 ? 1 : static_cast<int>(slices.count);
    std::vector<float> kernel_reordered, recurrent_reordered, bias_reordered;
    if (threads > 1) {
      kernel_reordered = slices.reorder(kernel, F);
      recurrent_reordered = slices.reorder(recurrent_kernel, u);
      if (bias) bias_reordered = slices.reorder(bias, 1);
      kernel = kernel_reordered.data();
      recurrent_kernel = recurrent_reordered.data();
      if (bias) bias = bias_reordered.data();
    }

    // x_t . W + b for every step from one GEMM, stored time-major (T, N, 4u) so each step's block
    // is contiguous; the recurrent product accumulates into it in place.
    auto z = scratch(T * N * G);
    fill_with_bias(z.get(), T * N, G, bias);
    if (F > 0) {
      const float* x_time_major = x;
      std::unique_ptr<float[]> x_transposed;
      if (N > 1 && T > 1) {  // (N, T, F) -> (T, N, F)
        x_transposed = scratch(T * N * F);
        for (index_t n = 0; n < N; ++n)
          for (index_t t = 0; t < T; ++t)
            std::copy(x + (n * T + t) * F, x + (n * T + t + 1) * F, x_transposed.get() + (t * N + n) * F);
        x_time_major = x_transposed.get();
      }
      Eigen::setNbThreads(threads_for_work(2.0 * T * N * F * G));
      Eigen::Map<RowMatrix>(z.get(), T * N, G).noalias() +=
          Eigen::Map<const RowMatrix>(x_time_major, T * N, F) * Eigen::Map<const RowMatrix>(kernel, F, G);
    }
    auto time_of = [&](index_t k) { return options.go_backwards ? T - 1 - k : k; };

    if (threads == 1) {
      RecurrentProduct recurrent(recurrent_kernel, G, u, G, N);
      for (index_t k = 0; k < T; ++k) {
        const index_t t = time_of(k);
        float* zt = z.get() + t * N * G;
        recurrent.accumulate(h_out, zt, G);
        for (index_t n = 0; n < N; ++n) {
          if (!mask || mask[n * T + t])  // masked step: h and c carry over
            lstm_gates(zt + n * G, c_out + n * u, h_out + n * u, u, options.activation,
                       options.recurrent_activation);
          if (output && options.return_sequences)
            std::copy(h_out + n * u, h_out + (n + 1) * u, output + (n * T + k) * u);
        }
      }
    } else {
      // h is double-buffered: every slice's product reads all of the previous h while other
      // threads already write their part of the next one.
      std::vector<RecurrentProduct> products;
      for (index_t sl = 0; sl < slices.count; ++sl) {
        const index_t u0 = slices.first(sl), width = slices.first(sl + 1) - u0;
        products.emplace_back(recurrent_kernel + 4 * u0, G, u, 4 * width, N);
      }
      auto h_other = scratch(N * u);
#pragma omp parallel num_threads(threads)
      {
        const index_t team = omp_get_num_threads(), me = omp_get_thread_num();
        float* h_prev = h_out;
        float* h_next = h_other.get();
        for (index_t k = 0; k < T; ++k) {
          const index_t t = time_of(k);
          float* zt = z.get() + t * N * G;
          for (index_t sl = me; sl < slices.count; sl += team) {
            const index_t u0 = slices.first(sl), width = slices.first(sl + 1) - u0;
            products[sl].accumulate(h_prev, zt + 4 * u0, G);
            for (index_t n = 0; n < N; ++n) {
              float* h_slice = h_next + n * u + u0;
              if (!mask || mask[n * T + t]) {
                lstm_gates(zt + n * G + 4 * u0, c_out + n * u + u0, h_slice, width, options.activation,
                           options.recurrent_activation);
              } else {  // masked step: h and c carry over
                std::copy_n(h_prev + n * u + u0, width, h_slice);
              }
              if (output && options.return_sequences) std::copy_n(h_slice, width, output + (n * T + k) * u + u0);
            }
          }
#pragma omp barrier
          std::swap(h_prev, h_next);
        }
        // After an odd number of steps the final h is in the other buffer.
#pragma omp single
        if (h_prev != h_out) std::copy_n(h_prev, N * u, h_out);
      }
    }
  }
  if (output && !options.return_sequences) std::copy(h_out, h_out + N * u, output);
}

}  // namespace nnkern
