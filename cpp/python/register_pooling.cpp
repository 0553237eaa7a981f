// _core.max_pool2d / avg_pool2d / max_pool1d / avg_pool1d / max_pool3d / avg_pool3d: Keras pooling
// forward on channels_last float32. 1-D pooling of (batch, steps, channels) runs the 2-D kernels with
// height 1 (same memory).
#include <string>
#include <vector>

#include "array.hpp"
#include "nnkern/pooling.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

using PoolKernel = void (*)(const float*, float*, const Pool2DShape&);

// Keras refuses a `valid` window larger than the input (its output would be empty); said here in
// the caller's terms (validate() guards the C++ API with the same rule).
void require_window_fits(bool fits, Padding padding, const char* fn, const std::string& pool, const std::string& input,
                         const py::array& x) {
  if (padding == Padding::Valid && !fits)
    throw py::value_error(std::string(fn) + ": pool_size " + pool + " is larger than the input's " + input +
                          " with padding='valid' (the output would be empty); x shape " + shape_str(x));
}

FloatArray run_pool(PoolKernel kernel, const char* fn, const py::array& x_given, const Pool2DShape& s,
                    const std::vector<index_t>& out_shape, const py::object& out_in) {
  const FloatArray x = as_float32(x_given, fn, "x");
  FloatArray y = output_array(out_in, out_shape, fn, {{&x, "x"}});
  const float* xp = x.data();
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    kernel(xp, yp, s);
  }
  return y;
}

FloatArray pool2d_py(PoolKernel kernel, const char* fn, const py::object& x_in, const py::object& pool_in,
                     const py::object& strides_in, const std::string& padding_name, const py::object& out_in) {
  const Padding padding = naming(fn, [&] { return padding_from_name(padding_name); });
  const auto [pool_h, pool_w] = int_pair(pool_in, fn, "pool_size", 1);
  const auto [stride_h, stride_w] =
      strides_in.is_none() ? std::pair{pool_h, pool_w} : int_pair(strides_in, fn, "strides", 1);
  // Shapes are checked on the array as given, the float32 conversion comes after.
  const py::array x = array_view(x_in, fn, "x");
  require_ndim(x, 4, fn, "x", "(batch, height, width, channels)");
  require_window_fits(x.shape(1) >= pool_h && x.shape(2) >= pool_w, padding, fn,
                      "(" + std::to_string(pool_h) + ", " + std::to_string(pool_w) + ")",
                      "(height, width) = (" + std::to_string(x.shape(1)) + ", " + std::to_string(x.shape(2)) + ")", x);
  const Pool2DShape s = naming(fn, [&] {
    return pool2d_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), pool_h, pool_w, padding, stride_h, stride_w);
  });
  return run_pool(kernel, fn, x, s, {s.batch, s.out[0], s.out[1], s.channels}, out_in);
}

FloatArray pool1d_py(PoolKernel kernel, const char* fn, const py::object& x_in, const py::object& pool_in,
                     const py::object& strides_in, const std::string& padding_name, const py::object& out_in) {
  const Padding padding = naming(fn, [&] { return padding_from_name(padding_name); });
  const index_t pool = int_single(pool_in, fn, "pool_size", 1);
  const index_t stride = strides_in.is_none() ? pool : int_single(strides_in, fn, "strides", 1);
  const py::array x = array_view(x_in, fn, "x");
  require_ndim(x, 3, fn, "x", "(batch, steps, channels)");
  require_window_fits(x.shape(1) >= pool, padding, fn, std::to_string(pool),
                      "steps " + std::to_string(x.shape(1)), x);
  // (batch, steps, channels) is (batch, 1, steps, channels) in memory.
  const Pool2DShape s = naming(fn, [&] {
    return pool2d_shape(x.shape(0), 1, x.shape(1), x.shape(2), 1, pool, padding, 1, stride);
  });
  return run_pool(kernel, fn, x, s, {s.batch, s.out[1], s.channels}, out_in);
}

using Pool3DKernel = void (*)(const float*, float*, const Pool3DShape&);

FloatArray pool3d_py(Pool3DKernel kernel, const char* fn, const py::object& x_in, const py::object& pool_in,
                     const py::object& strides_in, const std::string& padding_name, const py::object& out_in) {
  const Padding padding = naming(fn, [&] { return padding_from_name(padding_name); });
  const auto pool = int_triple(pool_in, fn, "pool_size", 1);
  const auto strides = strides_in.is_none() ? pool : int_triple(strides_in, fn, "strides", 1);
  const py::array x = array_view(x_in, fn, "x");
  require_ndim(x, 5, fn, "x", "(batch, depth, height, width, channels)");
  const Window3D::Axes in{x.shape(1), x.shape(2), x.shape(3)};
  require_window_fits(in[0] >= pool[0] && in[1] >= pool[1] && in[2] >= pool[2], padding, fn, axes_str(pool),
                      "(depth, height, width) = " + axes_str(in), x);
  const Pool3DShape s = naming(fn, [&] { return pool3d_shape(x.shape(0), in, x.shape(4), pool, padding, strides); });
  const FloatArray xf = as_float32(x, fn, "x");
  FloatArray y = output_array(out_in, {s.batch, s.out[0], s.out[1], s.out[2], s.channels}, fn, {{&xf, "x"}});
  const float* xp = xf.data();
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    kernel(xp, yp, s);
  }
  return y;
}

constexpr const char* kArgsDoc =
    "pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'\n"
    "(padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous\n"
    "array of the output shape, written and returned.";

FloatArray global_avg_pool_py(const py::object& x_in) {
  const char* fn = "global_avg_pool";
  const py::array given = array_view(x_in, fn, "x");
  if (given.ndim() < 3 || given.ndim() > 5)
    throw py::value_error(std::string(fn) + ": 'x' must be 3-D to 5-D (batch, steps..., channels), got shape " +
                          shape_str(given));
  const index_t batch = given.shape(0), channels = given.shape(given.ndim() - 1);
  const index_t steps = inner_steps(given);
  if (steps == 0 && batch * channels > 0)
    throw py::value_error(std::string(fn) + ": 'x' has no steps to average, shape " + shape_str(given));
  const FloatArray x = as_float32(given, fn, "x");
  FloatArray y = new_float_array({batch, channels});
  const float* xp = x.data();
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    global_avg_pool_nwc(xp, yp, batch, steps, channels);
  }
  return y;
}

}  // namespace

void register_pooling(py::module_& m) {
  m.def("global_avg_pool", &global_avg_pool_py, py::arg("x"),
        "Keras GlobalAveragePooling1D/2D/3D forward (channels_last): the mean of x (batch, steps..., channels)\n"
        "over its steps, shape (batch, channels) (keepdims is a reshape). Summed in blocks of 64 steps.");
  m.def(
      "max_pool2d",
      [](const py::object& x, const py::object& pool_size, const py::object& strides, const std::string& padding,
         const py::object& out) { return pool2d_py(&max_pool2d_nhwc, "max_pool2d", x, pool_size, strides, padding, out); },
      py::arg("x"), py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = "valid",
      py::arg("out") = py::none(),
      (std::string("Keras MaxPooling2D forward on x (batch, height, width, channels).\n") + kArgsDoc).c_str());
  m.def(
      "avg_pool2d",
      [](const py::object& x, const py::object& pool_size, const py::object& strides, const std::string& padding,
         const py::object& out) { return pool2d_py(&avg_pool2d_nhwc, "avg_pool2d", x, pool_size, strides, padding, out); },
      py::arg("x"), py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = "valid",
      py::arg("out") = py::none(),
      (std::string("Keras AveragePooling2D forward on x (batch, height, width, channels).\n") + kArgsDoc).c_str());
  m.def(
      "max_pool1d",
      [](const py::object& x, const py::object& pool_size, const py::object& strides, const std::string& padding,
         const py::object& out) { return pool1d_py(&max_pool2d_nhwc, "max_pool1d", x, pool_size, strides, padding, out); },
      py::arg("x"), py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = "valid",
      py::arg("out") = py::none(),
      (std::string("Keras MaxPooling1D forward on x (batch, steps, channels).\n") + kArgsDoc).c_str());
  m.def(
      "avg_pool1d",
      [](const py::object& x, const py::object& pool_size, const py::object& strides, const std::string& padding,
         const py::object& out) { return pool1d_py(&avg_pool2d_nhwc, "avg_pool1d", x, pool_size, strides, padding, out); },
      py::arg("x"), py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = "valid",
      py::arg("out") = py::none(),
      (std::string("Keras AveragePooling1D forward on x (batch, steps, channels).\n") + kArgsDoc).c_str());
  m.def(
      "max_pool3d",
      [](const py::object& x, const py::object& pool_size, const py::object& strides, const std::string& padding,
         const py::object& out) { return pool3d_py(&max_pool3d_ndhwc, "max_pool3d", x, pool_size, strides, padding, out); },
      py::arg("x"), py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = "valid",
      py::arg("out") = py::none(),
      (std::string("Keras MaxPooling3D forward on x (batch, depth, height, width, channels).\n") + kArgsDoc).c_str());
  m.def(
      "avg_pool3d",
      [](const py::object& x, const py::object& pool_size, const py::object& strides, const std::string& padding,
         const py::object& out) { return pool3d_py(&avg_pool3d_ndhwc, "avg_pool3d", x, pool_size, strides, padding, out); },
      py::arg("x"), py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = "valid",
      py::arg("out") = py::none(),
      (std::string("Keras AveragePooling3D forward on x (batch, depth, height, width, channels).\n") + kArgsDoc).c_str());
}
