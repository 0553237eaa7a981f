#include "nnkern/lstm.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "sigmoid.hpp"

#include "nnkern/threads.hpp"
#include "parallel.hpp"
#include "recurrent_common.hpp"

namespace nnkern {

namespace {

using detail::fill_with_bias;
using detail::RowMatrix;
using detail::scratch;
using detail::StepProduct;

// Rough cost of the gate math per unit and sample (five activations, a few products), used only
// to decide whether the per-step gate pass is worth a parallel region.
constexpr double kGateFlopsPerUnit = 60.0;
// Narrowest unit slice of the threaded recurrence. Slices are fixed by the shape, so one thread runs
// them all too: measured on LSTM 256 (batch 32), 64-unit slices cost 6 % on one thread and 13-30 % on
// two (4 slices); 128-unit slices 0-10 % on one (run to run) and 0-2 % on two.
constexpr index_t kMinSliceUnits = 128;

namespace ei = Eigen::internal;
using Packet = ei::packet_traits<float>::type;
constexpr index_t kLanes = ei::packet_traits<float>::size;

// Keras's default gates (sigmoid / tanh) for Packets packets of units from unit j of one sample,
// with the activations' own sigmoid and Eigen's tanh (the functions bias_activation runs, so the same
// values). z: the 4u pre-activations (i, f, c, o); c: carry in, new carry out; h: new output.
template <int Packets>
inline void gate_packets(const float* z, float* c, float* h, index_t u, index_t j) {
  using vmath::sigmoid;
  const ei::scalar_tanh_op<float> tanh;
  Packet c_new[Packets], o[Packets];
  for (int r = 0; r < Packets; ++r) {
    const index_t k = j + r * kLanes;
    const Packet i = sigmoid(ei::ploadu<Packet>(z + k));
    const Packet f = sigmoid(ei::ploadu<Packet>(z + u + k));
    const Packet g = tanh.packetOp(ei::ploadu<Packet>(z + 2 * u + k));
    o[r] = sigmoid(ei::ploadu<Packet>(z + 3 * u + k));
    c_new[r] = ei::pmadd(f, ei::ploadu<Packet>(c + k), ei::pmul(i, g));
  }
  for (int r = 0; r < Packets; ++r) {
    const index_t k = j + r * kLanes;
    ei::pstoreu(c + k, c_new[r]);
    ei::pstoreu(h + k, ei::pmul(o[r], tanh.packetOp(c_new[r])));
  }
}

// Keras's default gates for one sample: four packets per iteration keep several of the long,
// independent polynomial chains in flight, which the one-packet loop of an Eigen array expression
// does not (about 30% faster here).
void lstm_gates_sigmoid_tanh(const float* z, float* c, float* h, index_t u) {
  constexpr index_t kUnroll = 4;
  index_t j = 0;
  for (; j + kUnroll * kLanes <= u; j += kUnroll * kLanes) gate_packets<kUnroll>(z, c, h, u, j);
  const index_t rest = u - j;
  if (rest == 0) return;
  // The tail through the same packet code, zero-padded to a whole block: a unit's value must not
  // depend on whether it falls in the tail (Eigen's scalar logistic / tanh differ in the last bit),
  // since where the tail starts depends on how the units are sliced.
  constexpr index_t kBlock = kUnroll * kLanes;
  alignas(64) float zt[4 * kBlock] = {}, ct[kBlock] = {}, ht[kBlock];
  for (index_t gate = 0; gate < 4; ++gate) std::copy_n(z + gate * u + j, rest, zt + gate * kBlock);
  std::copy_n(c + j, rest, ct);
  lstm_gates_sigmoid_tanh(zt, ct, ht, kBlock);
  std::copy_n(ct, rest, c + j);
  std::copy_n(ht, rest, h + j);
}

// Batch 1 with Keras's default gates, u a whole number of packets and a step's 4u pre-activations
// in registers (4u / kLanes <= kMaxPackets: u <= 64 with AVX-512, 24 with AVX2): the gates of step k
// and the recurrent product of step k + 1 in one pass. Row j of U needs only h[j], so each packet of
// units' rows join the product as soon as their gates have run, and the out-of-order core overlaps
// the gate math with the loads of U from L2, which otherwise run one after the other (LSTM(64), 100
// steps, Zen 4: 61 -> 54 us). The values are those of the separate passes: the same gate code per
// packet, and the product's rows in row_times_matrix's order, its direction alternating.
// z: (T, 4u) x . W + b, time-major, step time_of(0)'s row already holding + h0 . U; uk: U with
// leading dimension uk_ld; backwards: the direction of step 1's product.
template <int Packets>
void lstm_batch1_fused(float* z, const float* uk, index_t uk_ld, bool backwards, const std::uint8_t* mask,
                       float* sequence_out, float* h, float* c, index_t T, index_t u, bool go_backwards) {
  if constexpr (Packets > 0) {
    const index_t G = 4 * u, unit_packets = u / kLanes;
    auto time_of = [&](index_t k) { return go_backwards ? T - 1 - k : k; };
    for (index_t k = 0; k < T; ++k) {
      const float* zt = z + time_of(k) * G;
      const bool active = !mask || mask[time_of(k)];
      const bool next = k + 1 < T;
      float* z_next = next ? z + time_of(k + 1) * G : nullptr;
      Packet acc[Packets];
      if (next)
        for (int r = 0; r < Packets; ++r) acc[r] = ei::ploadu<Packet>(z_next + r * kLanes);
      for (index_t q = 0; q < unit_packets; ++q) {
        const index_t j = (backwards ? unit_packets - 1 - q : q) * kLanes;
        if (active) gate_packets<1>(zt, c, h, u, j);
        if (!next) continue;
        for (index_t i = 0; i < kLanes; ++i) {
          const index_t row = backwards ? j + kLanes - 1 - i : j + i;
          const Packet hk = ei::pset1<Packet>(h[row]);
          const float* m = uk + row * uk_ld;
          for (int r = 0; r < Packets; ++r) acc[r] = ei::pmadd(hk, ei::ploadu<Packet>(m + r * kLanes), acc[r]);
        }
      }
      if (next)
        for (int r = 0; r < Packets; ++r) ei::pstoreu(z_next + r * kLanes, acc[r]);
      if (sequence_out) std::copy_n(h, u, sequence_out + k * u);
      backwards = !backwards;
    }
  }
}

using FusedFn = void (*)(float*, const float*, index_t, bool, const std::uint8_t*, float*, float*, float*, index_t,
                         index_t, bool);
// By u / kLanes: the 4u pre-activations are 4 packets per packet of units.
template <size_t... P>
constexpr std::array<FusedFn, sizeof...(P)> fused_table(std::index_sequence<P...>) {
  return {&lstm_batch1_fused<4 * static_cast<int>(P)>...};
}
constexpr index_t kFusedMaxPackets = detail::row_times_matrix_detail::kMaxPackets;

// Gate math for one sample. z: the 4u pre-activations (i, f, c, o), overwritten; c: carry in,
// new carry out (in place); h: new output. Activations other than sigmoid/tanh go gate by gate
// through bias_activation, which also gives softmax its Keras meaning here (over the u values of
// one gate).
void lstm_gates(float* z, float* c, float* h, index_t u, Activation act, Activation ract) {
  if (act == Activation::Tanh && ract == Activation::Sigmoid) return lstm_gates_sigmoid_tanh(z, c, h, u);
  for (int gate = 0; gate < 4; ++gate) bias_activation(z + gate * u, 1, u, nullptr, gate == 2 ? act : ract);
  const float *zi = z, *zf = z + u, *zg = z + 2 * u, *zo = z + 3 * u;
  // Plain loops, not Eigen array expressions: those run the first elements of an unaligned c or h
  // in a scalar path that the compiler may contract differently, so a value could depend on the
  // address of the caller's arrays.
  for (index_t j = 0; j < u; ++j) h[j] = c[j] = zf[j] * c[j] + zi[j] * zg[j];
  bias_activation(h, 1, u, nullptr, act);
  for (index_t j = 0; j < u; ++j) h[j] *= zo[j];
}


// Several threads split a step by units: thread s owns units [first(s), first(s + 1)). It copies
// its slice's gate columns of W, U and b with the (i, f, c, o) columns adjacent, as those of a
// narrower LSTM: the thread then computes its slice's pre-activations and gates without waiting
// for the others, and a step needs one barrier (h is complete) instead of three.
struct UnitSlices {
  index_t units, count;
  index_t first(index_t s) const {  // slice starts on whole packets of units
    constexpr index_t kAlign = 8;
    return std::min(units, (units * s / count + kAlign - 1) / kAlign * kAlign);
  }
  // Slice sl's (i, f, c, o) columns of the (rows, 4u) matrix m in Keras order, adjacent: a
  // (rows, 4 * width) matrix.
  std::vector<float> columns(const float* m, index_t rows, index_t sl) const {
    const index_t u0 = first(sl), width = first(sl + 1) - u0;
    std::vector<float> out(static_cast<size_t>(rows * 4 * width));
    for (index_t r = 0; r < rows; ++r)
      for (index_t g = 0; g < 4; ++g)
        std::copy_n(m + r * 4 * units + g * units + u0, width, out.data() + (r * 4 + g) * width);
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
  detail::begin_call();
  const index_t N = s.batch, F = s.input_dim, u = s.units, G = 4 * u;
  if (N == 0 || u == 0) return;
  auto z = scratch(N * G);
  fill_with_bias(z.get(), N, G, bias);
  Eigen::Map<RowMatrix> zm(z.get(), N, G);
  const int product_threads = threads_for_work(2.0 * N * (F + u) * G);
  if (F > 0)
    detail::tiled_product(Eigen::Map<const RowMatrix>(x_t, N, F), Eigen::Map<const RowMatrix>(kernel, F, G), zm, true,
                          product_threads);
  // h_out may alias h: the product reads all of h before any gate writes h_out.
  detail::tiled_product(Eigen::Map<const RowMatrix>(h, N, u), Eigen::Map<const RowMatrix>(recurrent_kernel, u, G), zm,
                        true, product_threads);
  if (c_out != c) std::copy(c, c + N * u, c_out);
  detail::run_parallel(threads_for_work(kGateFlopsPerUnit * N * u), [&] {
#pragma omp for
    for (index_t n = 0; n < N; ++n)
      lstm_gates(z.get() + n * G, c_out + n * u, h_out + n * u, u, activation, recurrent_activation);
  });
}

void lstm_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                   const float* initial_h, const float* initial_c, const std::uint8_t* mask, float* output,
                   float* h_out, float* c_out, const LstmShape& s, const LstmOptions& options) {
  detail::begin_call();
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
    // The slices come from the shape only (a unit's sums must not depend on the thread count): one
    // per kMinFlopsPerThread of a step, each at least kMinSliceUnits wide; threads share them.
    const double step_flops = 2.0 * N * u * G + kGateFlopsPerUnit * N * u;
    const index_t slice_count =
        N > 1 && elementwise ? std::clamp<index_t>(static_cast<index_t>(step_flops / kMinFlopsPerThread), 1,
                                                   (u + kMinSliceUnits - 1) / kMinSliceUnits)
                             : 1;
    const UnitSlices slices{u, slice_count};
    const int threads = slice_count > 1 ? static_cast<int>(std::min<index_t>(threads_for_work(step_flops), slice_count)) : 1;
    auto time_of = [&](index_t k) { return options.go_backwards ? T - 1 - k : k; };

    // Batch 1: x . W + b for every step from one GEMM up front (per step it would be a tiny
    // matrix-vector product). Larger batches: x_t . W + b per step into one step's buffer, which
    // stays in cache for the recurrent product and the gates, instead of streaming a (T, N, 4u)
    // buffer through memory three times.
    const bool inputs_up_front = N == 1;
    auto z = scratch(inputs_up_front ? T * G : N * G);
    if (inputs_up_front) {
      fill_with_bias(z.get(), T, G, bias);
      if (F > 0)
        detail::tiled_product(Eigen::Map<const RowMatrix>(x, T, F), Eigen::Map<const RowMatrix>(kernel, F, G),
                              Eigen::Map<RowMatrix>(z.get(), T, G), true, threads_for_work(2.0 * T * F * G));
    }
    // Per slice of units: its columns of W, U and b, adjacent (one slice: Keras's order as it is),
    // and W and U packed once. Each thread prepares its own slices.
    const bool sliced = slices.count > 1;
    struct Slice {
      std::vector<float> kernel, recurrent, bias;  // the slice's columns, when sliced
      std::unique_ptr<StepProduct> input, recurrent_product;
      const float* bias_row = nullptr;
    };
    std::vector<Slice> slice_data(static_cast<size_t>(slices.count));
    auto prepare_slice = [&](index_t sl) {
      Slice& d = slice_data[sl];
      const index_t width = slices.first(sl + 1) - slices.first(sl);
      const float *w = kernel, *uk = recurrent_kernel;
      d.bias_row = bias;
      if (sliced) {
        d.kernel = slices.columns(kernel, F, sl);
        d.recurrent = slices.columns(recurrent_kernel, u, sl);
        if (bias) d.bias = slices.columns(bias, 1, sl);
        w = d.kernel.data();
        uk = d.recurrent.data();
        d.bias_row = bias ? d.bias.data() : nullptr;
      }
      if (!inputs_up_front) d.input = std::make_unique<StepProduct>(w, 4 * width, F, 4 * width, N);
      d.recurrent_product = std::make_unique<StepProduct>(uk, 4 * width, u, 4 * width, N);
    };
    // Step k (time t) of slice sl: reads all of h_prev, writes its units of h_next, c and output.
    auto step_slice = [&](index_t sl, index_t k, const float* h_prev, float* h_next) {
      const index_t t = time_of(k);
      const index_t u0 = slices.first(sl), width = slices.first(sl + 1) - u0;
      float* zt = (inputs_up_front ? z.get() + t * G : z.get()) + 4 * u0;
      const Slice& d = slice_data[sl];
      if (!inputs_up_front) {
        fill_with_bias(zt, N, 4 * width, G, d.bias_row);
        d.input->accumulate(x + t * F, T * F, zt, G);
      }
      d.recurrent_product->accumulate(h_prev, u, zt, G);
      for (index_t n = 0; n < N; ++n) {
        float* h_slice = h_next + n * u + u0;
        if (!mask || mask[n * T + t]) {
          lstm_gates(zt + n * G, c_out + n * u + u0, h_slice, width, options.activation,
                     options.recurrent_activation);
        } else if (h_slice != h_prev + n * u + u0) {  // masked step: h and c carry over
          std::copy_n(h_prev + n * u + u0, width, h_slice);
        }
        if (output && options.return_sequences) std::copy_n(h_slice, width, output + (n * T + k) * u + u0);
      }
    };
    const bool fused = inputs_up_front && options.activation == Activation::Tanh &&
                       options.recurrent_activation == Activation::Sigmoid && u % kLanes == 0 &&
                       G / kLanes <= kFusedMaxPackets;
    if (fused) {
      // The first step's recurrent product alone, then gates and products fused (lstm_batch1_fused).
      StepProduct product(recurrent_kernel, G, u, G, 1);
      product.accumulate(h_out, u, z.get() + time_of(0) * G, G);
      static constexpr auto kFused = fused_table(std::make_index_sequence<kFusedMaxPackets / 4 + 1>());
      kFused[u / kLanes](z.get(), product.matrix(), product.matrix_ld(), product.next_backwards(), mask,
                         output && options.return_sequences ? output : nullptr, h_out, c_out, T, u,
                         options.go_backwards);
    } else if (!sliced) {
      // One slice: h can be updated in place, since the products read h before the gates write it.
      prepare_slice(0);
      for (index_t k = 0; k < T; ++k) step_slice(0, k, h_out, h_out);
    } else {
      // h is double-buffered: every slice's product reads all of the previous h while other
      // threads already write their part of the next one.
      auto h_other = scratch(N * u);
      detail::run_parallel(threads, [&] {
        const index_t team = omp_get_num_threads(), me = omp_get_thread_num();
        float* h_prev = h_out;
        float* h_next = h_other.get();
        for (index_t sl = me; sl < slices.count; sl += team) prepare_slice(sl);
        for (index_t k = 0; k < T; ++k) {
          for (index_t sl = me; sl < slices.count; sl += team) step_slice(sl, k, h_prev, h_next);
#pragma omp barrier
          std::swap(h_prev, h_next);
        }
        // After an odd number of steps the final h is in the other buffer.
#pragma omp single
        if (h_prev != h_out) std::copy_n(h_prev, N * u, h_out);
      });
    }
  }
  if (output && !options.return_sequences) std::copy(h_out, h_out + N * u, output);
}

}  // namespace nnkern
