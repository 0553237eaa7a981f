// Filled in by the pooling kernel work.
#include "array.hpp"

namespace py = pybind11;

void register_pooling(py::module_& m) { (void)m; }
