// _core.conv2d_transpose: Keras Conv2DTranspose forward on NHWC float32.
#include <optional>

#include "array.hpp"
#include "nnkern/conv2d_transpose.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

constexpr const char* kFn = "conv2d_transpose";

FloatArray conv2d_transpose_py(const py::object& x_in, const py::object& kernel_in, const py::object& bias_in,
                               const py::object& strides_in, const std::string& padding_name,
                               const py::object& output_padding_in, const py::object& dilation_in,
                               const std::string& activation, const py::object& out_in) {
  const Padding padding = naming(kFn, [&] { return padding_from_name(padding_name); });
  const Activation act = naming(kFn, [&] { return activation_from_name(activation); });
  const auto [stride_h, stride_w] = int_pair(strides_in, kFn, "strides", 1);
  const auto [dilation_h, dilation_w] = int_pair(dilation_in, kFn, "dilation_rate", 1);
  std::pair<index_t, index_t> output_padding{-1, -1};
  if (!output_padding_in.is_none()) {
    output_padding = int_pair(output_padding_in, kFn, "output_padding", 0);
    if (output_padding.first >= stride_h || output_padding.second >= stride_w)
      throw py::value_error(std::string(kFn) + ": 'output_padding' must be smaller than 'strides' on each axis, got " +
                            std::string(py::repr(output_padding_in)) + " with strides " +
                            std::string(py::repr(strides_in)));
  }

  // Shapes are checked on the arrays as given, the float32 conversion comes after.
  const py::array x_given = array_view(x_in, kFn, "x");
  const py::array w_given = array_view(kernel_in, kFn, "kernel");
  const std::optional<py::array> b_given =
      bias_in.is_none() ? std::nullopt : std::optional<py::array>(array_view(bias_in, kFn, "bias"));
  const py::array &x = x_given, &w = w_given;
  require_ndim(x, 4, kFn, "x", "(batch, height, width, in_channels)");
  require_ndim(w, 4, kFn, "kernel", "(kernel_h, kernel_w, out_channels, in_channels)");
  if (w.shape(3) != x.shape(3))
    throw py::value_error(std::string(kFn) + ": kernel expects " + std::to_string(w.shape(3)) +
                          " input channels (kernel shape " + shape_str(w) + ", in_channels last), x has " +
                          std::to_string(x.shape(3)) + " (x shape " + shape_str(x) + ")");
  if (w.shape(0) < 1 || w.shape(1) < 1 || w.shape(2) < 1)
    throw py::value_error(std::string(kFn) + ": kernel must have kernel_h, kernel_w, out_channels >= 1, got kernel shape " +
                          shape_str(w));
  if (b_given) require_shape(*b_given, {w.shape(2)}, kFn, "bias");

  const Conv2DTransposeShape s = conv2d_transpose_shape(
      x.shape(0), x.shape(1), x.shape(2), x.shape(3), w.shape(0), w.shape(1), w.shape(2), stride_h, stride_w,
      dilation_h, dilation_w, padding, output_padding.first, output_padding.second);
  const FloatArray xf = as_float32(x_given, kFn, "x"), wf = as_float32(w_given, kFn, "kernel");
  const auto bf = b_given ? std::optional<FloatArray>(as_float32(*b_given, kFn, "bias")) : std::nullopt;
  FloatArray y = output_array(out_in, {s.batch, s.out[0], s.out[1], s.out_channels}, kFn,
                              {{&xf, "x"}, {&wf, "kernel"}, {bf ? &*bf : nullptr, "bias"}});

  const float* bp = bf ? bf->data() : nullptr;
  const float *xp = xf.data(), *wp = wf.data();
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    conv2d_transpose_nhwc(xp, wp, bp, yp, s, act);
  }
  return y;
}

}  // namespace

void register_conv2d_transpose(py::module_& m) {
  m.def("conv2d_transpose", &conv2d_transpose_py, py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(),
        py::arg("strides") = 1, py::arg("padding") = "valid", py::arg("output_padding") = py::none(),
        py::arg("dilation_rate") = 1, py::arg("activation") = "linear", py::arg("out") = py::none(),
        "Keras Conv2DTranspose forward: y = activation(conv_transpose(x, kernel) + bias).\n"
        "x (batch, h, w, in) NHWC; kernel (kh, kw, out, in) as Keras stores it; bias (out,) or None;\n"
        "strides / dilation_rate / output_padding: int or pair; padding 'valid' or 'same'; Keras's\n"
        "output size. out: optional float32 C-contiguous array of the output shape, written and returned.");
}
