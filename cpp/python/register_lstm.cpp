// _core.lstm_step and _core.lstm: Keras 3 LSTM forward (one step / a whole sequence).
#include <cstdint>

#include "array.hpp"
#include "sequence_args.hpp"
#include "nnkern/lstm.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

void register_lstm(py::module_& m) {
  m.def(
      "lstm_step",
      [](const py::object& x_in, const py::object& h_in, const py::object& c_in, const py::object& kernel_in,
         const py::object& recurrent_in, const py::object& bias_in, const std::string& activation,
         const std::string& recurrent_activation, const py::object& out) {
        constexpr const char* fn = "lstm_step";
        const Activation act = naming(fn, [&] { return activation_from_name(activation); }, "activation");
        const Activation ract = naming(fn, [&] { return activation_from_name(recurrent_activation); }, "recurrent_activation");
        FloatArray x = as_float32(x_in, fn, "x_t");
        FloatArray h = as_float32(h_in, fn, "h");
        FloatArray c = as_float32(c_in, fn, "c");
        FloatArray w = as_float32(kernel_in, fn, "kernel");
        FloatArray rk = as_float32(recurrent_in, fn, "recurrent_kernel");
        auto b = as_float32_or_none(bias_in, fn, "bias");
        require_ndim(x, 2, fn, "x_t", "(batch, input_dim)");
        const index_t u = check_recurrent_kernels(w, rk, x.shape(1), 4, fn);
        const LstmShape s{x.shape(0), 1, x.shape(1), u};
        require_shape(h, {s.batch, u}, fn, "h");
        require_shape(c, {s.batch, u}, fn, "c");
        if (b) require_shape(*b, {4 * u}, fn, "bias");
        naming(fn, [&] { validate(s); });
        FloatArray h_out, c_out;
        if (out.is_none()) {
          h_out = new_float_array({s.batch, u});
          c_out = new_float_array({s.batch, u});
        } else {
          if (!py::isinstance<py::tuple>(out) && !py::isinstance<py::list>(out))
            throw py::type_error("lstm_step: 'out' must be a pair (h_out, c_out) of float32 arrays");
          auto pair = py::reinterpret_borrow<py::sequence>(out);
          if (pair.size() != 2) throw py::value_error("lstm_step: 'out' must be a pair (h_out, c_out)");
          const std::initializer_list<NamedInput> read_only = {
              {&x, "x_t"}, {&w, "kernel"}, {&rk, "recurrent_kernel"}, {b ? &*b : nullptr, "bias"}};
          h_out = output_array(pair[0], {s.batch, u}, fn, read_only, "out[0]");
          c_out = output_array(pair[1], {s.batch, u}, fn, read_only, "out[1]");
          if (h_out.data() == c_out.data() && s.batch * u > 0)
            throw py::value_error("lstm_step: out[0] and out[1] are the same array");
          // The step reads h and c before writing: h_out may be h itself and c_out c, nothing else.
          require_disjoint(h_out, "out[0]", h, "h", fn, true);
          require_disjoint(h_out, "out[0]", c, "c", fn);
          require_disjoint(c_out, "out[1]", c, "c", fn, true);
          require_disjoint(c_out, "out[1]", h, "h", fn);
          require_disjoint(h_out, "out[0]", c_out, "out[1]", fn);
        }
        const float *xp = x.data(), *hp = h.data(), *cp = c.data(), *wp = w.data(), *rp = rk.data();
        const float* bp = b ? b->data() : nullptr;
        float *hop = h_out.mutable_data(), *cop = c_out.mutable_data();
        {
          py::gil_scoped_release nogil;
          lstm_step(xp, hp, cp, wp, rp, bp, hop, cop, s, act, ract);
        }
        return py::make_tuple(h_out, c_out);
      },
      py::arg("x_t"), py::arg("h"), py::arg("c"), py::arg("kernel"), py::arg("recurrent_kernel"),
      py::arg("bias") = py::none(), py::arg("activation") = "tanh", py::arg("recurrent_activation") = "sigmoid",
      py::kw_only(), py::arg("out") = py::none(),
      "One Keras LSTM step: (h, c) from x_t (batch, input_dim) and the previous h, c (batch, units).\n"
      "kernel (input_dim, 4u), recurrent_kernel (u, 4u), bias (4u,) as Keras stores them (gates i, f, c, o).\n"
      "out=(h_out, c_out) writes into given float32 arrays (they may be h and c themselves).");

  m.def(
      "lstm",
      [](const py::object& x_in, const py::object& kernel_in, const py::object& recurrent_in,
         const py::object& bias_in, const std::string& activation, const std::string& recurrent_activation,
         bool return_sequences, bool go_backwards, const py::object& h0_in, const py::object& c0_in,
         const py::object& mask_in, const py::object& out) {
        constexpr const char* fn = "lstm";
        LstmOptions options;
        options.activation = naming(fn, [&] { return activation_from_name(activation); }, "activation");
        options.recurrent_activation = naming(fn, [&] { return activation_from_name(recurrent_activation); }, "recurrent_activation");
        options.return_sequences = return_sequences;
        options.go_backwards = go_backwards;
        FloatArray x = as_float32(x_in, fn, "x");
        FloatArray w = as_float32(kernel_in, fn, "kernel");
        FloatArray rk = as_float32(recurrent_in, fn, "recurrent_kernel");
        auto b = as_float32_or_none(bias_in, fn, "bias");
        auto h0 = as_float32_or_none(h0_in, fn, "initial_h");
        auto c0 = as_float32_or_none(c0_in, fn, "initial_c");
        require_ndim(x, 3, fn, "x", "(batch, timesteps, input_dim)");
        const index_t u = check_recurrent_kernels(w, rk, x.shape(2), 4, fn);
        const LstmShape s{x.shape(0), x.shape(1), x.shape(2), u};
        if (b) require_shape(*b, {4 * u}, fn, "bias");
        if (h0) require_shape(*h0, {s.batch, u}, fn, "initial_h");
        if (c0) require_shape(*c0, {s.batch, u}, fn, "initial_c");
        const auto mask = sequence_mask(mask_in, fn, s.batch, s.timesteps);
        naming(fn, [&] { validate(s); });
        const std::vector<index_t> out_shape =
            return_sequences ? std::vector<index_t>{s.batch, s.timesteps, u} : std::vector<index_t>{s.batch, u};
        FloatArray y = output_array(out, out_shape, fn,
                                    {{&x, "x"}, {&w, "kernel"}, {&rk, "recurrent_kernel"}, {b ? &*b : nullptr, "bias"},
                                     {h0 ? &*h0 : nullptr, "initial_h"}, {c0 ? &*c0 : nullptr, "initial_c"},
                                     {mask ? &*mask : nullptr, "mask"}});
        FloatArray h_out = new_float_array({s.batch, u});
        FloatArray c_out = new_float_array({s.batch, u});
        const float *xp = x.data(), *wp = w.data(), *rp = rk.data();
        const float* bp = b ? b->data() : nullptr;
        const float* h0p = h0 ? h0->data() : nullptr;
        const float* c0p = c0 ? c0->data() : nullptr;
        const auto* mp = mask_bytes(mask);
        float *yp = y.mutable_data(), *hp = h_out.mutable_data(), *cp = c_out.mutable_data();
        {
          py::gil_scoped_release nogil;
          lstm_sequence(xp, wp, rp, bp, h0p, c0p, mp, yp, hp, cp, s, options);
        }
        return py::make_tuple(y, h_out, c_out);
      },
      py::arg("x"), py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("bias") = py::none(),
      py::arg("activation") = "tanh", py::arg("recurrent_activation") = "sigmoid",
      py::arg("return_sequences") = false, py::arg("go_backwards") = false, py::arg("initial_h") = py::none(),
      py::arg("initial_c") = py::none(), py::arg("mask") = py::none(), py::kw_only(), py::arg("out") = py::none(),
      "Keras 3 LSTM over x (batch, timesteps, input_dim) -> (output, h, c).\n"
      "output is (batch, timesteps, units) with return_sequences (in processing order when go_backwards,\n"
      "as Keras), else (batch, units). mask (batch, timesteps), any bool/int array: at a False step a\n"
      "sample keeps h and c and outputs the carried h. initial_h / initial_c default to zeros.");
}
