// nnkern._core.layer_norm: LayerNormalization over the last axis, optionally of x + residual.
#include <cmath>

#include "array.hpp"
#include "nnkern/layer_norm.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

constexpr const char* kFn = "layer_norm";

py::object layer_norm_binding(const py::object& x_in, const py::object& gamma_in, const py::object& beta_in,
                              double epsilon, const py::object& residual_in, const py::object& out) {
  FloatArray x = as_float32(x_in, kFn, "x");
  if (x.ndim() < 1) throw py::value_error(std::string(kFn) + ": 'x' must have at least 1 axis, got a scalar");
  if (!std::isfinite(epsilon) || epsilon < 0)
    throw py::value_error(std::string(kFn) + ": 'epsilon' must be a finite number >= 0, got " + std::to_string(epsilon));
  const std::vector<index_t> shape(x.shape(), x.shape() + x.ndim());
  LayerNormShape s;
  s.cols = shape.back();
  s.rows = 1;
  for (size_t a = 0; a + 1 < shape.size(); ++a) s.rows *= shape[a];  // numpy's own size: no overflow
  naming(kFn, [&] { validate(s); });
  auto gamma = as_float32_or_none(gamma_in, kFn, "gamma");
  auto beta = as_float32_or_none(beta_in, kFn, "beta");
  auto residual = as_float32_or_none(residual_in, kFn, "residual");
  if (gamma) require_shape(*gamma, {s.cols}, kFn, "gamma");
  if (beta) require_shape(*beta, {s.cols}, kFn, "beta");
  if (residual) require_shape(*residual, shape, kFn, "residual");
  FloatArray y = output_array(out, shape, kFn,
                              {{&x, "x"}, {residual ? &*residual : nullptr, "residual"},
                               {gamma ? &*gamma : nullptr, "gamma"}, {beta ? &*beta : nullptr, "beta"}});
  const float *xp = x.data(), *rp = residual ? residual->data() : nullptr;
  const float *gp = gamma ? gamma->data() : nullptr, *bp = beta ? beta->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    layer_norm(xp, rp, gp, bp, static_cast<float>(epsilon), yp, s);
  }
  return out.is_none() ? py::object(std::move(y)) : out;
}

}  // namespace

void register_layer_norm(py::module_& m) {
  m.def("layer_norm", &layer_norm_binding, py::arg("x"), py::arg("gamma") = py::none(), py::arg("beta") = py::none(),
        py::arg("epsilon") = 1e-3, py::arg("residual") = py::none(), py::arg("out") = py::none(),
        "Layer normalization over the last axis, as Keras's LayerNormalization(axis=-1): per row of s = x "
        "(+ residual, when given), mean and variance (the mean of squared deviations), inv = gamma / sqrt(variance "
        "+ epsilon), y = s * inv + (beta - mean * inv). gamma and beta (last-axis length) may be None. Returns y "
        "(x's shape), written into `out` if given.");
}
