// nnkern._core.depthwise_conv2d: Keras DepthwiseConv2D forward (channels_last). Every argument is
// checked here, with Keras-style messages, before any pointer is touched. DepthwiseConv1D calls it on
// (N, 1, steps, C) from Python, as a view of the same memory.
#include "array.hpp"
#include "nnkern/depthwise_conv2d.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

constexpr const char* kFn = "depthwise_conv2d";

py::object depthwise_conv2d(const py::object& x_in, const py::object& kernel_in, const py::object& bias_in,
                            const py::object& strides_in, const std::string& padding_in,
                            const py::object& dilation_in, const std::string& activation, const py::object& out) {
  const Activation act = naming(kFn, [&] { return activation_from_name(activation); });
  const Padding padding = naming(kFn, [&] { return padding_from_name(padding_in); });
  const auto strides = int_pair(strides_in, kFn, "strides", 1);
  const auto dilation = int_pair(dilation_in, kFn, "dilation_rate", 1);
  FloatArray x = as_float32(x_in, kFn, "x");
  FloatArray w = as_float32(kernel_in, kFn, "kernel");
  auto b = as_float32_or_none(bias_in, kFn, "bias");
  require_ndim(x, 4, kFn, "x", "(batch, height, width, channels)");
  require_ndim(w, 4, kFn, "kernel", "(kernel_h, kernel_w, channels, depth_multiplier)");
  const index_t channels = x.shape(3), multiplier = w.shape(3);
  if (w.shape(2) != channels)
    throw py::value_error(std::string(kFn) + ": kernel expects " + std::to_string(w.shape(2)) +
                          " input channels (kernel shape " + shape_str(w) + "), x has " + std::to_string(channels) +
                          " (x shape " + shape_str(x) + ")");
  if (multiplier < 1)
    throw py::value_error(std::string(kFn) + ": the kernel's depth_multiplier (last axis) must be >= 1, got kernel "
                          "shape " + shape_str(w));
  const DepthwiseConv2DShape s = naming(kFn, [&] {
    return depthwise_conv2d_shape(x.shape(0), x.shape(1), x.shape(2), channels, w.shape(0), w.shape(1), multiplier,
                                  strides.first, strides.second, dilation.first, dilation.second, padding);
  });
  if (b) require_shape(*b, {s.out_channels}, kFn, "bias");
  FloatArray y = output_array(out, {s.batch, s.out_h(), s.out_w(), s.out_channels}, kFn,
                              {{&x, "x"}, {&w, "kernel"}, {b ? &*b : nullptr, "bias"}});
  const float *xp = x.data(), *wp = w.data(), *bp = b ? b->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    depthwise_conv2d_nhwc(xp, wp, bp, yp, s, act);
  }
  return out.is_none() ? py::object(std::move(y)) : out;
}

}  // namespace

void register_depthwise_conv2d(py::module_& m) {
  m.def("depthwise_conv2d", &depthwise_conv2d, py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(),
        py::arg("strides") = 1, py::arg("padding") = "valid", py::arg("dilation_rate") = 1,
        py::arg("activation") = "linear", py::arg("out") = py::none(),
        "Keras DepthwiseConv2D forward: x (batch, h, w, channels), kernel (kh, kw, channels, depth_multiplier), "
        "bias (channels * depth_multiplier,); strides / dilation_rate an int or a pair; padding 'valid' or "
        "'same'. Output channel c * depth_multiplier + m is channel c convolved with kernel[..., c, m]. Returns "
        "activation(conv + bias) of shape (batch, out_h, out_w, channels * depth_multiplier), written into "
        "`out` if given.");
}
