// Threads, build facts, the shared shape rules and activations, for the Python package.
#include <string>
#include <Eigen/Core>

#include "array.hpp"
#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"
#include "nnkern/threads.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

static std::string compiler_string() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return "gcc " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

void register_config(py::module_& m) {
  m.attr("__version__") = NNKERN_VERSION;
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Threads used by every kernel (>= 1).");
  m.def("get_num_threads", &get_num_threads,
        "Threads used by every kernel (default: NNKERN_NUM_THREADS, else OMP_NUM_THREADS, else all cores).");
  m.def("set_thread_limit", &set_thread_limit, py::arg("n"),
        "Cap the threads of kernel calls made from the calling thread (this Python thread only); 0: no cap.");
  m.def("get_thread_limit", &thread_limit, "The calling thread's cap on kernel threads (0: none).");
  m.def("set_load_aware", &set_load_aware, py::arg("on"),
        "Leave out cores other processes keep busy when choosing threads per call (default: off, or "
        "NNKERN_LOAD_AWARE=1 at start).");
  m.def("load_aware", &load_aware, "Whether cores busy with other processes are left out.");
  m.def("last_call_threads", &last_call_threads,
        "Threads the last kernel call made from this Python thread ran on (its largest team; 1: serial).");
  m.def("forked_single_threaded", &forked_single_threaded,
        "True in a child forked after the parent ran threaded kernels: kernels run on one thread there.");
  m.def("threads_for_work", &threads_for_work, py::arg("flops"),
        "Threads a kernel call doing about `flops` floating-point operations would use now.",
        py::call_guard<py::gil_scoped_release>());
  m.def("build_info", [] {
    py::dict d;
    d["version"] = NNKERN_VERSION;
    d["eigen"] = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                 std::to_string(EIGEN_MINOR_VERSION);
    d["compiler"] = compiler_string();
    d["isa"] = NNKERN_ISA_VARIANT;
    d["march"] = NNKERN_ARCH_FLAG;
    // Floats per Eigen SIMD packet: 16 when Eigen really uses AVX-512 registers, 8 with AVX2.
    d["packet_floats"] = static_cast<int>(Eigen::internal::packet_traits<float>::size);
    // Eigen 3.4 names an AVX2 + FMA build just "AVX SSE, ...": say what the compiler was allowed to use.
    std::string simd = Eigen::SimdInstructionSetsInUse();
#if defined(__FMA__) && !defined(__AVX512F__)
    simd = "FMA, " + simd;
#endif
#if defined(__AVX2__) && !defined(__AVX512F__)
    simd = "AVX2, " + simd;
#endif
    d["simd"] = simd;
#ifdef _OPENMP
    d["openmp"] = _OPENMP;
#endif
    return d;
  }, "Build facts of the kernel variant in use: version, isa (variant name), march, eigen, compiler,\n"
     "packet_floats (floats per Eigen SIMD packet), simd (instruction sets compiled in), openmp.");

  m.def("conv_output_length", [](index_t input, index_t kernel, index_t stride, index_t dilation,
                                 const std::string& padding) {
    return naming("conv_output_length",
                  [&] { return conv_output_length(input, kernel, stride, dilation, padding_from_name(padding)); });
  }, py::arg("input"), py::arg("kernel"), py::arg("stride") = 1, py::arg("dilation") = 1, py::arg("padding") = "valid",
  "Keras's output length of a convolution or pooling window along one axis. ValueError for input < 0,\n"
  "kernel / stride / dilation < 1, or a size beyond int64.");
  m.def("conv_transpose_output_length", [](index_t input, index_t kernel, index_t stride, index_t dilation,
                                           const std::string& padding, std::optional<index_t> output_padding) {
    return naming("conv_transpose_output_length", [&] {
      return conv_transpose_output_length(input, kernel, stride, dilation, padding_from_name(padding),
                                          output_padding.value_or(-1));
    });
  }, py::arg("input"), py::arg("kernel"), py::arg("stride") = 1, py::arg("dilation") = 1,
  py::arg("padding") = "valid", py::arg("output_padding") = py::none(),
  "Keras's deconv_output_length along one axis (output_padding None: not given; else < stride).\n"
  "ValueError for input < 0, kernel / stride / dilation < 1, or a size beyond int64.");

  m.def("release_cached_outputs", &release_cached_outputs,
        "Free the memory kept for reuse by large kernel outputs no longer in use; returns its bytes.");
  m.def("sole_output_in", &sole_output_in, py::arg("values"), py::arg("index"),
        "True when values[index] (values a list) is a large kernel output array that nothing but the list "
        "references (no other reference, no view of it), so a kernel may write over it.");
  m.def("cached_output_bytes", &cached_output_bytes,
        "Bytes kept for reuse by large kernel outputs no longer in use (at most 256 MiB).");
  m.def("activation_names", [] { return std::string(activation_names()); },
        "Comma-separated names (and aliases) of the activations the kernels fuse.");
  m.def("activation", [](const py::object& x, const std::string& name) {
    const Activation act = naming("activation", [&] { return activation_from_name(name); });
    FloatArray in = as_float32(x, "activation", "x");
    std::vector<index_t> shape(in.shape(), in.shape() + in.ndim());
    FloatArray out = new_float_array(shape);
    const index_t n = in.size();
    const index_t cols = in.ndim() ? in.shape(in.ndim() - 1) : 1;
    const float* src = in.data();
    float* dst = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      detail::begin_call();  // one thread: the work is one pass over memory
      std::copy(src, src + n, dst);
      bias_activation(dst, cols ? n / cols : 0, cols, nullptr, act);
    }
    return out;
  }, py::arg("x"), py::arg("name"), "Keras 3 activation by name on a float32 copy of x (softmax on the last axis).");
}
