// _core.multiply_channels: a squeeze-and-excitation Multiply, x times per-sample channel weights.
#include <string>
#include <vector>

#include "array.hpp"
#include "nnkern/merging.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

FloatArray multiply_channels_py(const py::object& x_in, const py::object& scale_in) {
  const char* fn = "multiply_channels";
  const py::array xv = array_view(x_in, fn, "x");
  const py::array sv = array_view(scale_in, fn, "scale");
  if (xv.ndim() < 2)
    throw py::value_error(std::string(fn) + ": 'x' must be at least 2-D (batch, ..., channels), got shape " +
                          shape_str(xv));
  const index_t batch = xv.shape(0), channels = xv.shape(xv.ndim() - 1);
  const index_t steps = inner_steps(xv);
  // scale: (batch, channels), or x's rank with 1 on every axis between (Keras's broadcast of the SE weights).
  std::vector<index_t> broadcast(static_cast<size_t>(xv.ndim()), 1);
  broadcast.front() = batch;
  broadcast.back() = channels;
  bool ok = sv.ndim() == 2 && sv.shape(0) == batch && sv.shape(1) == channels;
  if (!ok && sv.ndim() == xv.ndim()) {
    ok = true;
    for (py::ssize_t d = 0; d < sv.ndim(); ++d) ok = ok && sv.shape(d) == broadcast[static_cast<size_t>(d)];
  }
  if (!ok)
    throw py::value_error(std::string(fn) + ": 'scale' must have shape " + shape_str(broadcast) + " or " +
                          shape_str(std::vector<index_t>{batch, channels}) + " for x of shape " + shape_str(xv) +
                          ", got " + shape_str(sv));
  const FloatArray x = as_float32(xv, fn, "x");
  const FloatArray scale = as_float32(sv, fn, "scale");
  FloatArray y = new_float_array(std::vector<index_t>(xv.shape(), xv.shape() + xv.ndim()));
  const float *xp = x.data(), *sp = scale.data();
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    multiply_channels_nwc(xp, sp, yp, batch, steps, channels);
  }
  return y;
}

}  // namespace

void register_merging(py::module_& m) {
  m.def("multiply_channels", &multiply_channels_py, py::arg("x"), py::arg("scale"),
        "Keras Multiply()([x, scale]) for scale of shape (batch, 1, ..., 1, channels) or (batch, channels):\n"
        "x (batch, steps..., channels) times each sample's channel weights; a new float32 array of x's shape.");
}
