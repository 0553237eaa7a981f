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

// The window arguments (strides, padding, dilation_rate) and the activation, checked with `fn` named.
struct Window {
  Activation act;
  Padding padding;
  std::pair<index_t, index_t> strides, dilation;
};
Window window_args(const char* fn, const py::object& strides_in, const std::string& padding_in,
                   const py::object& dilation_in, const std::string& activation) {
  return {naming(fn, [&] { return activation_from_name(activation); }),
          naming(fn, [&] { return padding_from_name(padding_in); }), int_pair(strides_in, fn, "strides", 1),
          int_pair(dilation_in, fn, "dilation_rate", 1)};
}

py::object depthwise_conv2d(const py::object& x_in, const py::object& kernel_in, const py::object& bias_in,
                            const py::object& strides_in, const std::string& padding_in,
                            const py::object& dilation_in, const std::string& activation, const py::object& out) {
  const Window win = window_args(kFn, strides_in, padding_in, dilation_in, activation);
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
                                  win.strides.first, win.strides.second, win.dilation.first, win.dilation.second,
                                  win.padding);
  });
  if (b) require_shape(*b, {s.out_channels}, kFn, "bias");
  FloatArray y = output_array(out, {s.batch, s.out_h(), s.out_w(), s.out_channels}, kFn,
                              {{&x, "x"}, {&w, "kernel"}, {b ? &*b : nullptr, "bias"}});
  const float *xp = x.data(), *wp = w.data(), *bp = b ? b->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    depthwise_conv2d_nhwc(xp, wp, bp, yp, s, win.act);
  }
  return out.is_none() ? py::object(std::move(y)) : out;
}

constexpr const char* kExpandFn = "expand_depthwise_conv2d";

py::object expand_depthwise_conv2d(const py::object& x_in, const py::object& expand_kernel_in,
                                   const py::object& expand_bias_in, const std::string& expand_activation,
                                   const py::object& kernel_in, const py::object& bias_in,
                                   const py::object& strides_in, const std::string& padding_in,
                                   const py::object& dilation_in, const std::string& activation,
                                   const py::object& out) {
  const char* fn = kExpandFn;
  const Activation expand_act = naming(fn, [&] { return activation_from_name(expand_activation); });
  const Window win = window_args(fn, strides_in, padding_in, dilation_in, activation);
  FloatArray x = as_float32(x_in, fn, "x");
  FloatArray we = as_float32(expand_kernel_in, fn, "expand_kernel");
  auto be = as_float32_or_none(expand_bias_in, fn, "expand_bias");
  FloatArray w = as_float32(kernel_in, fn, "kernel");
  auto b = as_float32_or_none(bias_in, fn, "bias");
  require_ndim(x, 4, fn, "x", "(batch, height, width, channels)");
  require_ndim(we, 4, fn, "expand_kernel", "(1, 1, channels, expanded_channels)");
  require_ndim(w, 4, fn, "kernel", "(kernel_h, kernel_w, expanded_channels, 1)");
  const index_t channels = x.shape(3), expanded = we.shape(3);
  if (we.shape(0) != 1 || we.shape(1) != 1 || we.shape(2) != channels)
    throw py::value_error(std::string(fn) + ": 'expand_kernel' must have shape (1, 1, " + std::to_string(channels) +
                          ", expanded_channels) for x of shape " + shape_str(x) + ", got " + shape_str(we));
  require_shape(w, {w.shape(0), w.shape(1), expanded, 1}, fn, "kernel");
  if (be) require_shape(*be, {expanded}, fn, "expand_bias");
  if (b) require_shape(*b, {expanded}, fn, "bias");
  const DepthwiseConv2DShape s = naming(fn, [&] {
    return depthwise_conv2d_shape(x.shape(0), x.shape(1), x.shape(2), expanded, w.shape(0), w.shape(1), 1,
                                  win.strides.first, win.strides.second, win.dilation.first, win.dilation.second,
                                  win.padding);
  });
  FloatArray y = output_array(out, {s.batch, s.out_h(), s.out_w(), s.out_channels}, fn,
                              {{&x, "x"}, {&we, "expand_kernel"}, {be ? &*be : nullptr, "expand_bias"},
                               {&w, "kernel"}, {b ? &*b : nullptr, "bias"}});
  const float *xp = x.data(), *wep = we.data(), *bep = be ? be->data() : nullptr, *wp = w.data(),
              *bp = b ? b->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    expand_depthwise_conv2d_nhwc(xp, channels, wep, bep, expand_act, wp, bp, yp, s, win.act);
  }
  return out.is_none() ? py::object(std::move(y)) : out;
}

}  // namespace

void register_depthwise_conv2d(py::module_& m) {
  m.def("expand_depthwise_pays", &expand_depthwise_pays, py::arg("batch"), py::arg("height"), py::arg("width"),
        py::arg("in_channels"), py::arg("expanded_channels"),
        "Whether expand_depthwise_conv2d is faster than conv2d (1x1) then depthwise_conv2d for a batch of "
        "images of this size: when the expanded tensor outgrows the L2 cache and the 1x1 runs on the direct "
        "kernel.");
  m.def("expand_depthwise_conv2d", &expand_depthwise_conv2d, py::arg("x"), py::arg("expand_kernel"),
        py::arg("expand_bias") = py::none(), py::arg("expand_activation") = "linear", py::arg("kernel"),
        py::arg("bias") = py::none(), py::arg("strides") = 1, py::arg("padding") = "valid",
        py::arg("dilation_rate") = 1, py::arg("activation") = "linear", py::arg("out") = py::none(),
        "depthwise_conv2d(conv2d(x, expand_kernel, expand_bias, activation=expand_activation), kernel, bias, "
        "strides, padding, dilation_rate, activation) in one pass, without the expanded tensor in memory: "
        "x (batch, h, w, channels), expand_kernel (1, 1, channels, expanded), kernel (kh, kw, expanded, 1).");
  m.def("depthwise_conv2d", &depthwise_conv2d, py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(),
        py::arg("strides") = 1, py::arg("padding") = "valid", py::arg("dilation_rate") = 1,
        py::arg("activation") = "linear", py::arg("out") = py::none(),
        "Keras DepthwiseConv2D forward: x (batch, h, w, channels), kernel (kh, kw, channels, depth_multiplier), "
        "bias (channels * depth_multiplier,); strides / dilation_rate an int or a pair; padding 'valid' or "
        "'same'. Output channel c * depth_multiplier + m is channel c convolved with kernel[..., c, m]. Returns "
        "activation(conv + bias) of shape (batch, out_h, out_w, channels * depth_multiplier), written into "
        "`out` if given.");
}
