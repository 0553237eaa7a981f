// Filled in by the conv2d kernel work.
#include "array.hpp"

namespace py = pybind11;

void register_conv2d(py::module_& m) { (void)m; }
