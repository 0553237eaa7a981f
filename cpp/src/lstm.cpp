#include "nnkern/lstm.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <memory>

#include "nnkern/threads.hpp"

namespace nnkern {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;

// Rough cost of the gate math per unit and sample (five activations, a few products), used only
// to decide whether the per-step gate pass is worth a parallel region.
constexpr double kGateFlopsPerUnit = 60.0;

// Uninitialised float scratch, allocated once per call.
std::unique_ptr<float[]> scratch(index_t n) { return std::unique_ptr<float[]>(new float[n > 0 ? n : 1]); }

// Gate math for one sample. z: the 4u pre-activations (i, f, c, o), overwritten; c: carry in,
// new carry out (in place); h: new output. Sigmoid/tanh (Keras's default) is one fused pass over
// the four gates; other activations go gate by gate through bias_activation, which also gives
// softmax its Keras meaning here (over the u values of one gate).
void lstm_gates(float* z, float* c, float* h, index_t u, Activation act, Activation ract) {
  ArrayMap zi(z, u), zf(z + u, u), zg(z + 2 * u, u), zo(z + 3 * u, u), cm(c, u), hm(h, u);
  if (act == Activation::Tanh && ract == Activation::Sigmoid) {
    cm = zf.logistic() * cm + zi.logistic() * zg.tanh();
    hm = zo.logistic() * cm.tanh();
    return;
  }
  for (int gate = 0; gate < 4; ++gate) bias_activation(z + gate * u, 1, u, nullptr, gate == 2 ? act : ract);
  cm = zf * cm + zi * zg;
  hm = cm;
  bias_activation(h, 1, u, nullptr, act);
  hm *= zo;
}

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
  Eigen::Map<RowMatrix> zm(z.get(), N, G);
  Eigen::setNbThreads(threads_for_work(2.0 * N * (F + u) * G));
  if (F > 0)
    zm.noalias() = Eigen::Map<const RowMatrix>(x_t, N, F) * Eigen::Map<const RowMatrix>(kernel, F, G);
  else
    zm.setZero();
  // h_out may alias h: the product reads all of h before any gate writes h_out.
  zm.noalias() += Eigen::Map<const RowMatrix>(h, N, u) * Eigen::Map<const RowMatrix>(recurrent_kernel, u, G);
  bias_activation(z.get(), N, G, bias, Activation::Linear);
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
    // Gate pre-activations x_t . W + b for every step from one GEMM, stored time-major (T, N, 4u)
    // so each step's block is contiguous (the recurrent product accumulates into it in place).
    auto z = scratch(T * N * G);
    Eigen::Map<RowMatrix> zm(z.get(), T * N, G);
    if (F == 0) {
      zm.setZero();
    } else {
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
      zm.noalias() = Eigen::Map<const RowMatrix>(x_time_major, T * N, F) * Eigen::Map<const RowMatrix>(kernel, F, G);
    }
    bias_activation(z.get(), T * N, G, bias, Activation::Linear);

    Eigen::Map<const RowMatrix> hm(h_out, N, u), um(recurrent_kernel, u, G);
    Eigen::setNbThreads(threads_for_work(2.0 * N * u * G));
    const int gate_threads = threads_for_work(kGateFlopsPerUnit * N * u);
    for (index_t k = 0; k < T; ++k) {
      const index_t t = options.go_backwards ? T - 1 - k : k;
      float* zt = z.get() + t * N * G;
      Eigen::Map<RowMatrix>(zt, N, G).noalias() += hm * um;
#pragma omp parallel for num_threads(gate_threads) if (gate_threads > 1)
      for (index_t n = 0; n < N; ++n) {
        if (mask && !mask[n * T + t]) continue;  // masked step: h and c carry over
        lstm_gates(zt + n * G, c_out + n * u, h_out + n * u, u, options.activation, options.recurrent_activation);
      }
      if (output && options.return_sequences)
        for (index_t n = 0; n < N; ++n) std::copy(h_out + n * u, h_out + (n + 1) * u, output + (n * T + k) * u);
    }
  }
  if (output && !options.return_sequences) std::copy(h_out, h_out + N * u, output);
}

}  // namespace nnkern
