// LSTM forward with Keras 3 conventions (keras.layers.LSTM, implementation 2):
//   z = x_t . W + h . U + b, split along the 4u axis into gates (i, f, c, o);
//   c' = ract(f) * c + ract(i) * act(c_gate);  h' = ract(o) * act(c').
// W (input_dim, 4u), U (units, 4u), b (4u,) exactly as Keras stores them; all row-major float32.
#pragma once
#include <cstdint>

#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"

namespace nnkern {

struct LstmShape {
  index_t batch;      // N
  index_t timesteps;  // T (lstm_step ignores it)
  index_t input_dim;  // F: features of x, rows of W
  index_t units;      // u: size of h and c; W, U and b have 4u columns
};

// Throws std::invalid_argument for negative sizes or sizes whose products overflow.
void validate(const LstmShape& s);

struct LstmOptions {
  Activation activation = Activation::Tanh;               // on the cell gate and on c' for h'
  Activation recurrent_activation = Activation::Sigmoid;  // on the i, f, o gates
  bool return_sequences = false;  // output (N, T, u) instead of the last output (N, u)
  bool go_backwards = false;      // process t = T-1 .. 0; outputs stay in processing order (Keras)
};

// One step. x_t (N, F), h and c (N, u), bias (4u) or nullptr; writes h_out and c_out (N, u),
// which may alias h and c.
void lstm_step(const float* x_t, const float* h, const float* c, const float* kernel, const float* recurrent_kernel,
               const float* bias, float* h_out, float* c_out, const LstmShape& s, Activation activation,
               Activation recurrent_activation);

// Whole sequence. x (N, T, F); initial_h / initial_c (N, u) or nullptr for zeros; mask (N, T) of
// 0/1 bytes or nullptr: at a step whose mask is 0 a sample keeps its h and c, and its output at that
// step is the carried h (Keras's default, zero_output_for_mask=False).
// output: (N, T, u) with return_sequences, else (N, u) (the last output, == h_out); may be nullptr.
// h_out, c_out (N, u): final states (required). T == 0 returns the initial state.
void lstm_sequence(const float* x, const float* kernel, const float* recurrent_kernel, const float* bias,
                   const float* initial_h, const float* initial_c, const std::uint8_t* mask, float* output,
                   float* h_out, float* c_out, const LstmShape& s, const LstmOptions& options);

// Floating-point operations of the two matrix products of one lstm_sequence call:
// 2 * T * N * (F + u) * 4u (the gate math is not counted).
double lstm_flops(const LstmShape& s);

}  // namespace nnkern
