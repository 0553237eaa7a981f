// _core.gru and _core.simple_rnn: Keras 3 GRU / SimpleRNN forward over a whole sequence.
#include <cstdint>
#include <string>
#include <vector>

#include "array.hpp"
#include "nnkern/recurrent.hpp"
#include "sequence_args.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

using SequenceFn = void (*)(const float*, const float*, const float*, const float*, const float*, const std::uint8_t*,
                            float*, float*, const RecurrentShape&, const RecurrentOptions&);

// Validates the arguments shared by both kernels, runs `sequence` without the GIL; returns (output, h).
// gates: columns of W and U per unit (GRU 3, SimpleRNN 1); bias_shape: the bias Keras stores for u units.
py::tuple run_sequence(const char* fn, SequenceFn sequence, index_t gates,
                       std::vector<index_t> (*bias_shape)(index_t, bool),
                       const py::object& x_in, const py::object& kernel_in, const py::object& recurrent_in,
                       const py::object& bias_in, const RecurrentOptions& options, const py::object& h0_in,
                       const py::object& mask_in, const py::object& out) {
  FloatArray x = as_float32(x_in, fn, "x");
  FloatArray w = as_float32(kernel_in, fn, "kernel");
  FloatArray rk = as_float32(recurrent_in, fn, "recurrent_kernel");
  auto b = as_float32_or_none(bias_in, fn, "bias");
  auto h0 = as_float32_or_none(h0_in, fn, "initial_h");
  require_ndim(x, 3, fn, "x", "(batch, timesteps, input_dim)");
  const index_t u = check_recurrent_kernels(w, rk, x.shape(2), gates, fn);
  const RecurrentShape s{x.shape(0), x.shape(1), x.shape(2), u};
  if (b) require_shape(*b, bias_shape(u, options.reset_after), fn, "bias");
  if (h0) require_shape(*h0, {s.batch, u}, fn, "initial_h");
  const auto mask = sequence_mask(mask_in, fn, s.batch, s.timesteps);
  naming(fn, [&] { validate(s, gates); });
  const std::vector<index_t> out_shape = options.return_sequences ? std::vector<index_t>{s.batch, s.timesteps, u}
                                                                  : std::vector<index_t>{s.batch, u};
  FloatArray y = output_array(out, out_shape, fn,
                              {{&x, "x"}, {&w, "kernel"}, {&rk, "recurrent_kernel"}, {b ? &*b : nullptr, "bias"},
                               {h0 ? &*h0 : nullptr, "initial_h"}, {mask ? &*mask : nullptr, "mask"}});
  FloatArray h_out = new_float_array({s.batch, u});
  const float *xp = x.data(), *wp = w.data(), *rp = rk.data();
  const float* bp = b ? b->data() : nullptr;
  const float* h0p = h0 ? h0->data() : nullptr;
  const auto* mp = mask_bytes(mask);
  float *yp = y.mutable_data(), *hp = h_out.mutable_data();
  {
    py::gil_scoped_release nogil;
    sequence(xp, wp, rp, bp, h0p, mp, yp, hp, s, options);
  }
  return py::make_tuple(y, h_out);
}

Activation named_activation(const char* fn, const std::string& name, const char* arg) {
  return naming(fn, [&] { return activation_from_name(name); }, arg);
}

}  // namespace

void register_recurrent(py::module_& m) {
  m.def(
      "gru",
      [](const py::object& x, const py::object& kernel, const py::object& recurrent_kernel, const py::object& bias,
         const std::string& activation, const std::string& recurrent_activation, bool reset_after,
         bool return_sequences, bool go_backwards, const py::object& initial_h, const py::object& mask,
         const py::object& out) {
        constexpr const char* fn = "gru";
        RecurrentOptions options;
        options.activation = named_activation(fn, activation, "activation");
        options.recurrent_activation = named_activation(fn, recurrent_activation, "recurrent_activation");
        options.reset_after = reset_after;
        options.return_sequences = return_sequences;
        options.go_backwards = go_backwards;
        auto bias_shape = [](index_t u, bool after) {
          return after ? std::vector<index_t>{2, 3 * u} : std::vector<index_t>{3 * u};
        };
        return run_sequence(fn, gru_sequence, 3, bias_shape, x, kernel, recurrent_kernel, bias, options, initial_h,
                            mask, out);
      },
      py::arg("x"), py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("bias") = py::none(),
      py::arg("activation") = "tanh", py::arg("recurrent_activation") = "sigmoid", py::arg("reset_after") = true,
      py::arg("return_sequences") = false, py::arg("go_backwards") = false, py::arg("initial_h") = py::none(),
      py::arg("mask") = py::none(), py::kw_only(), py::arg("out") = py::none(),
      "Keras 3 GRU over x (batch, timesteps, input_dim) -> (output, h).\n"
      "kernel (input_dim, 3u), recurrent_kernel (u, 3u) as Keras stores them (gates z, r, h); bias (2, 3u)\n"
      "(input, recurrent) with reset_after, else (3u,). output is (batch, timesteps, units) with\n"
      "return_sequences (in processing order when go_backwards, as Keras), else (batch, units). mask\n"
      "(batch, timesteps), any bool/int array: at a False step a sample keeps h and outputs it again.\n"
      "initial_h defaults to zeros.");

  m.def(
      "simple_rnn",
      [](const py::object& x, const py::object& kernel, const py::object& recurrent_kernel, const py::object& bias,
         const std::string& activation, bool return_sequences, bool go_backwards, const py::object& initial_h,
         const py::object& mask, const py::object& out) {
        constexpr const char* fn = "simple_rnn";
        RecurrentOptions options;
        options.activation = named_activation(fn, activation, "activation");
        options.return_sequences = return_sequences;
        options.go_backwards = go_backwards;
        auto bias_shape = [](index_t u, bool) { return std::vector<index_t>{u}; };
        return run_sequence(fn, simple_rnn_sequence, 1, bias_shape, x, kernel, recurrent_kernel, bias, options,
                            initial_h, mask, out);
      },
      py::arg("x"), py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("bias") = py::none(),
      py::arg("activation") = "tanh", py::arg("return_sequences") = false, py::arg("go_backwards") = false,
      py::arg("initial_h") = py::none(), py::arg("mask") = py::none(), py::kw_only(), py::arg("out") = py::none(),
      "Keras 3 SimpleRNN over x (batch, timesteps, input_dim) -> (output, h): h' = act(x_t . W + b + h . U).\n"
      "kernel (input_dim, u), recurrent_kernel (u, u), bias (u,). output, mask and initial_h as for gru.");
}
