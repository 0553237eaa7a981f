// nnkern._core: creates the module, chooses the kernel variant for this CPU (or NNKERN_ISA) and has
// it register its kernels. Built for baseline x86-64, like nnkern._cpu, so that nothing here can
// execute an instruction the CPU lacks; the variants' code runs only once one is chosen.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "nnkern/cpu_features.hpp"

namespace py = pybind11;

// One entry point per variant, defined by its objects (cpp/python/register_all.cpp).
#define NNKERN_VARIANT(NAME, MARCH, ISA) extern "C" void nnkern_register_##NAME(py::module_& m);
#include "nnkern_variants.inc"
#undef NNKERN_VARIANT

namespace {

struct Variant {
  const char* name;
  const char* march;
  const char* isa;  // comma-separated instruction sets its -march lets the compiler use
  void (*register_kernels)(py::module_&);
};

// Least capable first (CMakeLists.txt, NNKERN_ISA_VARIANTS).
const Variant kVariants[] = {
#define NNKERN_VARIANT(NAME, MARCH, ISA) {#NAME, MARCH, ISA, &nnkern_register_##NAME},
#include "nnkern_variants.inc"
#undef NNKERN_VARIANT
};

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& name : names) s += (s.empty() ? "" : ", ") + name;
  return s;
}

std::vector<std::string> variant_names(bool runnable_only) {
  std::vector<std::string> names;
  for (const Variant& v : kVariants)
    if (!runnable_only || nnkern::missing_isa(v.isa).empty()) names.emplace_back(v.name);
  return names;
}

// NNKERN_ISA=<name> (for benchmarking and tests) must name a variant this CPU runs: an unknown name or
// one the CPU cannot run raises ImportError rather than silently measuring something else. Unset,
// empty or "auto": the most capable variant the CPU runs.
const Variant& choose_variant() {
  const char* env = std::getenv("NNKERN_ISA");
  const std::string requested = env ? env : "";
  if (requested.empty() || requested == "auto") {
    for (auto it = std::rbegin(kVariants); it != std::rend(kVariants); ++it)
      if (nnkern::missing_isa(it->isa).empty()) return *it;
    throw py::import_error("nnkern: this CPU lacks the instruction set(s) " + join(nnkern::missing_isa(kVariants[0].isa)) +
                           " that all of nnkern's kernel variants need");
  }
  for (const Variant& v : kVariants) {
    if (requested != v.name) continue;
    const auto missing = nnkern::missing_isa(v.isa);
    if (!missing.empty())
      throw py::import_error("nnkern: NNKERN_ISA=" + requested + " needs the instruction set(s) " + join(missing) +
                             ", which this CPU lacks; variants it runs: " + join(variant_names(true)) +
                             " (or unset NNKERN_ISA)");
    return v;
  }
  throw py::import_error("nnkern: NNKERN_ISA='" + requested + "' is not a kernel variant of this build; expected one of " +
                         join(variant_names(false)) + " or auto (or unset NNKERN_ISA)");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "nnkern's compiled float32 forward kernels (Keras layouts, channels_last)";
  const Variant& chosen = choose_variant();
  const std::string chosen_name = chosen.name;
  m.def("isa", [chosen_name] { return chosen_name; },
        "The kernel variant in use: the most capable one this CPU runs, or NNKERN_ISA's choice.");
  m.def("isa_variants", [] { return variant_names(false); },
        "Kernel variants compiled in (least capable first); nnkern._core.isa() is the one in use.");
  m.def("runnable_isa_variants", [] { return variant_names(true); },
        "The kernel variants this CPU can run (values NNKERN_ISA may take besides auto).");
  chosen.register_kernels(m);
}
