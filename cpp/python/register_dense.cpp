#include "array.hpp"
#include "nnkern/dense.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

void register_dense(py::module_& m) {
  m.def(
      "dense",
      [](const py::object& x_in, const py::object& kernel_in, const py::object& bias_in, const std::string& activation) {
        constexpr const char* fn = "dense";
        const Activation act = naming(fn, [&] { return activation_from_name(activation); });
        FloatArray x = as_float32(x_in, fn, "x");
        FloatArray w = as_float32(kernel_in, fn, "kernel");
        auto b = as_float32_or_none(bias_in, fn, "bias");
        require_ndim(x, 2, fn, "x", "(batch, in_features)");
        require_ndim(w, 2, fn, "kernel", "(in_features, units)");
        const DenseShape s{x.shape(0), x.shape(1), w.shape(1)};
        if (w.shape(0) != s.in_features)
          throw py::value_error("dense: kernel expects " + std::to_string(w.shape(0)) +
                                " input features (kernel shape " + shape_str(w) + "), x has " +
                                std::to_string(s.in_features) + " (x shape " + shape_str(x) + ")");
        if (b) require_shape(*b, {s.out_features}, fn, "bias");
        naming(fn, [&] { validate(s); });
        FloatArray y = new_float_array({s.batch, s.out_features});
        const float* bp = b ? b->data() : nullptr;
        const float *xp = x.data(), *wp = w.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release nogil;
          dense(xp, wp, bp, yp, s, act);
        }
        return y;
      },
      py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(), py::arg("activation") = "linear",
      "y = activation(x @ kernel + bias); x (batch, in), kernel (in, units) as Keras stores it.");
}
