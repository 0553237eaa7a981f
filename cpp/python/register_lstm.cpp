// Filled in by the lstm kernel work.
#include "array.hpp"

namespace py = pybind11;

void register_lstm(py::module_& m) { (void)m; }
