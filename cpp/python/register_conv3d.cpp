// nnkern._core.conv3d / conv3d_transpose: Keras Conv3D / Conv3DTranspose forward (channels_last).
// Every argument is checked here, with Keras-style messages, before any pointer is touched.
#include <optional>
#include <string>

#include "array.hpp"
#include "conv_checks.hpp"
#include "nnkern/conv3d.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

constexpr const char* kAxes[] = {"depth", "height", "width"};

FloatArray conv3d_py(const py::object& x_in, const py::object& kernel_in, const py::object& bias_in,
                     const py::object& strides_in, const std::string& padding_in, const py::object& dilation_in,
                     index_t groups, const std::string& activation, const py::object& out) {
  constexpr const char* fn = "conv3d";
  const Activation act = naming(fn, [&] { return activation_from_name(activation); });
  const Padding padding = naming(fn, [&] { return padding_from_name(padding_in); });
  const auto strides = int_triple(strides_in, fn, "strides", 1);
  const auto dilation = int_triple(dilation_in, fn, "dilation_rate", 1);
  if (groups < 1) throw py::value_error("conv3d: 'groups' must be >= 1, got " + std::to_string(groups));
  FloatArray x = as_float32(x_in, fn, "x");
  FloatArray w = as_float32(kernel_in, fn, "kernel");
  auto b = as_float32_or_none(bias_in, fn, "bias");
  require_ndim(x, 5, fn, "x", "(batch, depth, height, width, channels)");
  require_ndim(w, 5, fn, "kernel", "(kernel_d, kernel_h, kernel_w, channels / groups, filters)");
  check_channels(x, w, b, groups, fn);
  if (padding == Padding::Valid)
    for (int a = 0; a < 3; ++a) check_fits(x.shape(1 + a), w.shape(a), strides[a], dilation[a], kAxes[a], fn);
  const Conv3DShape s = naming(fn, [&] {
    return conv3d_shape(x.shape(0), {x.shape(1), x.shape(2), x.shape(3)}, x.shape(4), {w.shape(0), w.shape(1), w.shape(2)},
                        w.shape(4), strides, dilation, padding, groups);
  });
  FloatArray y = output_array(out, {s.batch, s.out(0), s.out(1), s.out(2), s.out_channels}, fn,
                              {{&x, "x"}, {&w, "kernel"}, {b ? &*b : nullptr, "bias"}});
  const float *xp = x.data(), *wp = w.data(), *bp = b ? b->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    conv3d_ndhwc(xp, wp, bp, yp, s, act);
  }
  return y;
}

FloatArray conv3d_transpose_py(const py::object& x_in, const py::object& kernel_in, const py::object& bias_in,
                               const py::object& strides_in, const std::string& padding_name,
                               const py::object& output_padding_in, const py::object& dilation_in,
                               const std::string& activation, const py::object& out_in) {
  constexpr const char* fn = "conv3d_transpose";
  const Padding padding = naming(fn, [&] { return padding_from_name(padding_name); });
  const Activation act = naming(fn, [&] { return activation_from_name(activation); });
  const auto strides = int_triple(strides_in, fn, "strides", 1);
  const auto dilation = int_triple(dilation_in, fn, "dilation_rate", 1);
  Window3D::Axes output_padding{-1, -1, -1};
  if (!output_padding_in.is_none()) {
    output_padding = int_triple(output_padding_in, fn, "output_padding", 0);
    for (int a = 0; a < 3; ++a)
      if (output_padding[a] >= strides[a])
        throw py::value_error(std::string(fn) + ": 'output_padding' must be smaller than 'strides' on each axis, got " +
                              std::string(py::repr(output_padding_in)) + " with strides " +
                              std::string(py::repr(strides_in)));
  }
  // Shapes are checked on the arrays as given, the float32 conversion comes after.
  const py::array x = array_view(x_in, fn, "x");
  const py::array w = array_view(kernel_in, fn, "kernel");
  const std::optional<py::array> b =
      bias_in.is_none() ? std::nullopt : std::optional<py::array>(array_view(bias_in, fn, "bias"));
  require_ndim(x, 5, fn, "x", "(batch, depth, height, width, in_channels)");
  require_ndim(w, 5, fn, "kernel", "(kernel_d, kernel_h, kernel_w, out_channels, in_channels)");
  if (w.shape(4) != x.shape(4))
    throw py::value_error(std::string(fn) + ": kernel expects " + std::to_string(w.shape(4)) +
                          " input channels (kernel shape " + shape_str(w) + ", in_channels last), x has " +
                          std::to_string(x.shape(4)) + " (x shape " + shape_str(x) + ")");
  if (w.shape(0) < 1 || w.shape(1) < 1 || w.shape(2) < 1 || w.shape(3) < 1)
    throw py::value_error(std::string(fn) + ": kernel must have kernel_d, kernel_h, kernel_w, out_channels >= 1, "
                          "got kernel shape " + shape_str(w));
  if (b) require_shape(*b, {w.shape(3)}, fn, "bias");
  const Conv3DTransposeShape s = naming(fn, [&] {
    return conv3d_transpose_shape(x.shape(0), {x.shape(1), x.shape(2), x.shape(3)}, x.shape(4),
                                  {w.shape(0), w.shape(1), w.shape(2)}, w.shape(3), strides, dilation, padding,
                                  output_padding);
  });
  const FloatArray xf = as_float32(x, fn, "x"), wf = as_float32(w, fn, "kernel");
  const auto bf = b ? std::optional<FloatArray>(as_float32(*b, fn, "bias")) : std::nullopt;
  FloatArray y = output_array(out_in, {s.batch, s.out[0], s.out[1], s.out[2], s.out_channels}, fn,
                              {{&xf, "x"}, {&wf, "kernel"}, {bf ? &*bf : nullptr, "bias"}});
  const float *xp = xf.data(), *wp = wf.data(), *bp = bf ? bf->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    conv3d_transpose_ndhwc(xp, wp, bp, yp, s, act);
  }
  return y;
}

}  // namespace

void register_conv3d(py::module_& m) {
  m.def("conv3d", &conv3d_py, py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(), py::arg("strides") = 1,
        py::arg("padding") = "valid", py::arg("dilation_rate") = 1, py::arg("groups") = 1,
        py::arg("activation") = "linear", py::arg("out") = py::none(),
        "Keras Conv3D forward: x (batch, d, h, w, channels), kernel (kd, kh, kw, channels / groups, filters), bias "
        "(filters,); strides / dilation_rate an int or a 3-tuple; padding 'valid' or 'same'. Returns "
        "activation(conv + bias) of shape (batch, out_d, out_h, out_w, filters), written into `out` if given.");
  m.def("conv3d_transpose", &conv3d_transpose_py, py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(),
        py::arg("strides") = 1, py::arg("padding") = "valid", py::arg("output_padding") = py::none(),
        py::arg("dilation_rate") = 1, py::arg("activation") = "linear", py::arg("out") = py::none(),
        "Keras Conv3DTranspose forward: y = activation(conv_transpose(x, kernel) + bias).\n"
        "x (batch, d, h, w, in) NDHWC; kernel (kd, kh, kw, out, in) as Keras stores it; bias (out,) or None;\n"
        "strides / dilation_rate / output_padding: int or 3-tuple; padding 'valid' or 'same'; Keras's\n"
        "output size. out: optional float32 C-contiguous array of the output shape, written and returned.");
}
