// nnkern._cpu: the import-time CPU check. Built, like cpu_features.cpp, without the kernels' -march,
// so importing it cannot hit an illegal instruction; nnkern/__init__.py imports it before _core, and
// on a CPU lacking an instruction set the least capable kernel variant was compiled for the import
// raises ImportError (nnkern._core then picks the most capable variant the CPU runs).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "nnkern/cpu_features.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_cpu, m) {
  m.doc() = "Instruction sets of this CPU and of nnkern's kernel build (checked before nnkern._core loads)";
  m.def("known_isa", &nnkern::known_isa, "Instruction-set names nnkern can ask the CPU about.");
  m.def("cpu_supports", &nnkern::cpu_supports, py::arg("name"),
        "Whether this CPU (and OS) supports the instruction set `name` (GCC's spelling, e.g. 'avx2').");
  m.def("required_isa", &nnkern::required_isa, "Instruction sets nnkern._core's least capable kernel variant was compiled to use.");
  m.def("missing_isa", [] { return nnkern::missing_isa(); }, "required_isa() less what this CPU supports.");
  m.def("march", [] { return std::string(NNKERN_ARCH_FLAG); },
        "The -march value of nnkern._core's least capable kernel variant (empty: the compiler's default).");

  const auto missing = nnkern::missing_isa();
  if (!missing.empty()) {
    std::string names;
    for (const auto& name : missing) names += (names.empty() ? "" : ", ") + name;
    throw py::import_error(
        "nnkern: this CPU lacks the instruction set(s) " + names + " that nnkern's kernels were compiled for (-march=" +
        NNKERN_ARCH_FLAG + "); running them would crash with an illegal instruction. Build nnkern for this CPU: "
        "pip install . -Ccmake.define.NNKERN_ISA_VARIANTS=native=native");
  }
}
