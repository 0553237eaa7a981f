// GRU and SimpleRNN forward with Keras 3 conventions (keras.layers.GRU / SimpleRNN, implementation 2).
//   GRU: x_t . W + b_in split into (z, r, h) along the 3u axis; with reset_after (Keras 3's default)
//     inner = h . U + b_rec, z = ract(x_z + inner_z), r = ract(x_r + inner_r),
//     hh = act(x_h + r * inner_h); without it (bias (3u,) only)
//     z, r from h . U[:, :2u], hh = act(x_h + (r * h) . U[:, 2u:]);  h' = z * h + (1 - z) * hh.
//   SimpleRNN: h' = act(x_t . W + b + h . U).
// W (input_dim, gates * u), U (units, gates * u), bias as Keras stores it: GRU (2, 3u) with
// reset_after (input bias, then recurrent bias), (3u,) without; SimpleRNN (u,). Row-major float32.
#pragma once
#include <cstdint>

#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

struct RecurrentShape {
  index_t batch;      // N
  index_t timesteps;  // T
  index_t input_dim;  // F: features of x, rows of W
  index_t units;      // u: size of h; W and U have gates * u columns
};

// Throws std::invalid_argument for negative sizes or sizes whose products overflow; `gates` is 3 for
// a GRU, 1 for a SimpleRNN.
void validate(const RecurrentShape& s, index_t gates);

struct RecurrentOptions {
  Activation activation = Activation::Tanh;               // GRU candidate; SimpleRNN output
  Activation recurrent_activation = Activation::Sigmoid;  // GRU z and r gates (SimpleRNN: unused)
  bool reset_after = true;        // GRU only: apply the reset gate after the recurrent product
  bool return_sequences = false;  // output (N, T, u) instead of the last output (N, u)
  bool go_backwards = false;      // process t = T-1 .. 0; outputs stay in processing order (Keras)
};

// Whole sequences. x (N, T, F); initial_h (N, u) or nullptr for zeros; mask (N, T) of 0/1 bytes or
// nullptr: at a step whose mask is 0 a sample keeps its h and outputs it again (Keras's default,
// zero_output_for_mask=False). output: (N, T, u) with return_sequences, else (N, u) (== h_out); may be
// nullptr. h_out (N, u): final state (required). T == 0 returns the initial state. The input product
// x . W of every step is one threaded GEMM; the recurrence is threaded over chunks of 16 samples (one
// thread up to batch 16).
void gru_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                  const float* initial_h, const std::uint8_t* mask, float* output, float* h_out,
                  const RecurrentShape& s, const RecurrentOptions& options);
void simple_rnn_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                         const float* initial_h, const std::uint8_t* mask, float* output, float* h_out,
                         const RecurrentShape& s, const RecurrentOptions& options);

// Floating-point operations of the two matrix products of one call: 2 * T * N * (F + u) * gates * u.
double recurrent_flops(const RecurrentShape& s, index_t gates);

}  // namespace nnkern
