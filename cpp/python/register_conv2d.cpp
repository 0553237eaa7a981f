// nnkern._core.conv2d / conv1d: Keras Conv2D / Conv1D forward (channels_last). Every argument is
// checked here, with Keras-style messages, before any pointer is touched; Conv1D runs on the 2-D
// kernel as an image of height 1 (same memory, no copy).
#include <Eigen/Core>
#include <algorithm>
#include <cctype>
#include <memory>

#include "array.hpp"
#include "conv_checks.hpp"
#include "nnkern/conv2d.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

// A read-only conv2d kernel with its copy packed for the products (conv2d_pack_kernel), made once by
// pack_conv2d_kernel; conv2d takes it in place of the kernel array. It holds the array itself, so the
// two cannot disagree.
struct PackedConv2DKernel {
  struct AlignedFree {
    void operator()(float* p) const { Eigen::internal::aligned_free(p); }
  };
  FloatArray kernel;
  std::unique_ptr<float, AlignedFree> packed;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Validated shape -> output -> GIL released -> kernel.
// `residual`: conv2d's optional residual term, of the output's shape.
FloatArray run(const Conv2DShape& s, const FloatArray& x, const FloatArray& kernel,
               const std::optional<FloatArray>& bias, Activation act, const py::object& out,
               const std::vector<index_t>& out_shape, const char* fn,
               const std::optional<FloatArray>& residual = std::nullopt, const float* packed_kernel = nullptr) {
  if (residual) require_shape(*residual, out_shape, fn, "residual");
  // `out` may be the residual itself (same data, both C-contiguous of the output's shape): the sum is
  // then made in place. Any other overlap is refused.
  const bool onto_residual = residual && py::isinstance<py::array>(out) &&
                             py::reinterpret_borrow<py::array>(out).data() == residual->data();
  FloatArray y = output_array(out, out_shape, fn, {{&x, "x"}, {&kernel, "kernel"}, {bias ? &*bias : nullptr, "bias"},
                                                   {onto_residual ? nullptr : residual ? &*residual : nullptr,
                                                    "residual"}});
  const float *xp = x.data(), *wp = kernel.data(), *bp = bias ? bias->data() : nullptr;
  const float* rp = residual ? residual->data() : nullptr;
  float* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    conv2d_nhwc_residual(xp, wp, bp, rp, yp, s, act, packed_kernel);
  }
  return y;
}

}  // namespace

void register_conv2d(py::module_& m) {
  py::class_<PackedConv2DKernel>(m, "PackedConv2DKernel",
                                 "A read-only Conv2D kernel with a copy packed for this build's products "
                                 "(pack_conv2d_kernel); conv2d takes it as its `kernel`.")
      .def_property_readonly("kernel", [](const PackedConv2DKernel& p) { return p.kernel; },
                             "The kernel array (read-only).");

  m.def(
      "pack_conv2d_kernel",
      [](const py::object& kernel_in) -> py::object {
        constexpr const char* fn = "pack_conv2d_kernel";
        if (!py::isinstance<py::array>(kernel_in) || !py::isinstance<FloatArray>(kernel_in))
          throw py::type_error(std::string(fn) + ": 'kernel' must be a float32 C-contiguous numpy array, got " +
                               type_name(kernel_in));
        auto w = py::reinterpret_borrow<FloatArray>(kernel_in);
        require_ndim(w, 4, fn, "kernel", "(kernel_h, kernel_w, channels, filters)");
        // The copy is only right while the array keeps its values.
        if (w.writeable())
          throw py::value_error(std::string(fn) + ": 'kernel' must be read-only (flags.writeable = False): a "
                                "writeable array could change after packing");
        const index_t floats = conv2d_packed_kernel_floats(w.shape(0), w.shape(1), w.shape(2), w.shape(3));
        if (floats == 0) return py::none();
        PackedConv2DKernel p{w, std::unique_ptr<float, PackedConv2DKernel::AlignedFree>(
                                    static_cast<float*>(Eigen::internal::aligned_malloc(sizeof(float) * floats)))};
        {
          py::gil_scoped_release nogil;
          conv2d_pack_kernel(w.data(), w.shape(0), w.shape(1), w.shape(2), w.shape(3), p.packed.get());
        }
        return py::cast(std::move(p));
      },
      py::arg("kernel"),
      "A Conv2D kernel (kh, kw, channels, filters; float32, C-contiguous, read-only) packed once for the "
      "products of conv2d(groups=1), or None where conv2d would not read a packed copy (the direct kernel's "
      "shapes, few filters, or a kernel variant whose products pack per call).");

  m.def(
      "conv2d",
      [](const py::object& x_in, const py::object& kernel_in, const py::object& bias_in, const py::object& strides_in,
         const std::string& padding_in, const py::object& dilation_in, index_t groups, const std::string& activation,
         const py::object& out, const py::object& residual_in) {
        constexpr const char* fn = "conv2d";
        const Activation act = naming(fn, [&] { return activation_from_name(activation); });
        const Padding padding = naming(fn, [&] { return padding_from_name(padding_in); });
        const auto strides = int_pair(strides_in, fn, "strides", 1);
        const auto dilation = int_pair(dilation_in, fn, "dilation_rate", 1);
        if (groups < 1) throw py::value_error("conv2d: 'groups' must be >= 1, got " + std::to_string(groups));
        FloatArray x = as_float32(x_in, fn, "x");
        const auto* packed = py::isinstance<PackedConv2DKernel>(kernel_in) ? &kernel_in.cast<const PackedConv2DKernel&>()
                                                                            : nullptr;
        FloatArray w = packed ? packed->kernel : as_float32(kernel_in, fn, "kernel");
        auto b = as_float32_or_none(bias_in, fn, "bias");
        auto residual = as_float32_or_none(residual_in, fn, "residual");
        require_ndim(x, 4, fn, "x", "(batch, height, width, channels)");
        require_ndim(w, 4, fn, "kernel", "(kernel_h, kernel_w, channels / groups, filters)");
        check_channels(x, w, b, groups, fn);
        if (padding == Padding::Valid) {
          check_fits(x.shape(1), w.shape(0), strides.first, dilation.first, "height", fn);
          check_fits(x.shape(2), w.shape(1), strides.second, dilation.second, "width", fn);
        }
        const Conv2DShape s = naming(fn, [&] {
          return conv2d_shape(x.shape(0), x.shape(1), x.shape(2), x.shape(3), w.shape(0), w.shape(1), w.shape(3),
                              strides.first, strides.second, dilation.first, dilation.second, padding, groups);
        });
        // A packed kernel is only read by the one-group products it was made for.
        return run(s, x, w, b, act, out, {s.batch, s.out_h(), s.out_w(), s.out_channels}, fn, residual,
                   packed && groups == 1 ? packed->packed.get() : nullptr);
      },
      py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(), py::arg("strides") = 1,
      py::arg("padding") = "valid", py::arg("dilation_rate") = 1, py::arg("groups") = 1,
      py::arg("activation") = "linear", py::arg("out") = py::none(), py::arg("residual") = py::none(),
      "Keras Conv2D forward: x (batch, h, w, channels), kernel (kh, kw, channels / groups, filters; or its "
      "pack_conv2d_kernel), bias "
      "(filters,); strides / dilation_rate an int or a pair; padding 'valid' or 'same'. Returns "
      "activation(conv + bias + residual) of shape (batch, out_h, out_w, filters), written into `out` if given; "
      "`residual` (optional, of the output's shape; `out` itself, or sharing no memory with it) is a residual "
      "connection's term added before the activation.");

  m.def(
      "conv1d",
      [](const py::object& x_in, const py::object& kernel_in, const py::object& bias_in, const py::object& strides_in,
         const std::string& padding_in, const py::object& dilation_in, index_t groups, const std::string& activation,
         const py::object& out) {
        constexpr const char* fn = "conv1d";
        const Activation act = naming(fn, [&] { return activation_from_name(activation); });
        const std::string padding = lower(padding_in);
        if (padding != "valid" && padding != "same" && padding != "causal")
          throw py::value_error("conv1d: padding must be 'valid', 'same' or 'causal', got '" + padding_in + "'");
        const index_t stride = int_single(strides_in, fn, "strides", 1);
        const index_t dilation = int_single(dilation_in, fn, "dilation_rate", 1);
        if (groups < 1) throw py::value_error("conv1d: 'groups' must be >= 1, got " + std::to_string(groups));
        FloatArray x = as_float32(x_in, fn, "x");
        FloatArray w = as_float32(kernel_in, fn, "kernel");
        auto b = as_float32_or_none(bias_in, fn, "bias");
        require_ndim(x, 3, fn, "x", "(batch, steps, channels)");
        require_ndim(w, 3, fn, "kernel", "(kernel_size, channels / groups, filters)");
        check_channels(x, w, b, groups, fn);
        if (padding == "valid") check_fits(x.shape(1), w.shape(0), stride, dilation, "size", fn);
        // (N, L, C) is (N, 1, L, C) and (k, in, out) is (1, k, in, out) in memory.
        const Conv2DShape s = naming(fn, [&] {
          // `causal` starts from `same` (it fits any length too) and then moves all padding left,
          // as Keras does: left-pad by the dilated kernel's reach, then a `valid` convolution.
          Conv2DShape s2 = conv2d_shape(x.shape(0), 1, x.shape(1), x.shape(2), 1, w.shape(0), w.shape(2), 1, stride, 1,
                                        dilation, padding == "valid" ? Padding::Valid : Padding::Same, groups);
          if (padding == "causal") {
            s2.pad_before[1] = checked_product({w.shape(0) - 1, dilation}, "conv1d causal padding");
            s2.pad_after[1] = 0;
            validate(s2);
          }
          return s2;
        });
        return run(s, x, w, b, act, out, {s.batch, s.out_w(), s.out_channels}, fn);
      },
      py::arg("x"), py::arg("kernel"), py::arg("bias") = py::none(), py::arg("strides") = 1,
      py::arg("padding") = "valid", py::arg("dilation_rate") = 1, py::arg("groups") = 1,
      py::arg("activation") = "linear", py::arg("out") = py::none(),
      "Keras Conv1D forward: x (batch, steps, channels), kernel (kernel_size, channels / groups, filters), bias "
      "(filters,); padding 'valid', 'same' or 'causal'. Returns (batch, out_steps, filters), written into `out` "
      "if given.");
}
