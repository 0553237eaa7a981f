// The bindings of one kernel variant. CMake compiles this file, the other register_<family>.cpp and
// the kernels once per ISA variant (each with its own -march) and exports from each variant only
// this function, named nnkern_register_<variant>; module.cpp calls the one it chose for this CPU.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_config(py::module_& m);
void register_dense(py::module_& m);
void register_conv2d(py::module_& m);
void register_conv2d_transpose(py::module_& m);
void register_depthwise_conv2d(py::module_& m);
void register_pooling(py::module_& m);
void register_lstm(py::module_& m);
void register_recurrent(py::module_& m);
void register_attention(py::module_& m);
void register_layer_norm(py::module_& m);
void register_conv3d(py::module_& m);
void register_merging(py::module_& m);

extern "C" void NNKERN_REGISTER_FN(py::module_& m) {
  register_config(m);
  register_dense(m);
  register_conv2d(m);
  register_conv2d_transpose(m);
  register_depthwise_conv2d(m);
  register_pooling(m);
  register_lstm(m);
  register_recurrent(m);
  register_attention(m);
  register_layer_norm(m);
  register_conv3d(m);
  register_merging(m);
}
