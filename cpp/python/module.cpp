// nnkern._core: creates the module and hands each kernel family to its register_<family>.cpp.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_config(py::module_& m);
void register_dense(py::module_& m);
void register_conv2d(py::module_& m);
void register_conv2d_transpose(py::module_& m);
void register_conv3d(py::module_& m);
void register_depthwise_conv2d(py::module_& m);
void register_pooling(py::module_& m);
void register_lstm(py::module_& m);
void register_recurrent(py::module_& m);
void register_attention(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "nnkern's compiled float32 forward kernels (Keras layouts, channels_last)";
  register_config(m);
  register_dense(m);
  register_conv2d(m);
  register_conv2d_transpose(m);
  register_conv3d(m);
  register_depthwise_conv2d(m);
  register_pooling(m);
  register_lstm(m);
  register_recurrent(m);
  register_attention(m);
}
