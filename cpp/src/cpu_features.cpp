// Built without -march (see CMakeLists.txt): nothing here may need more than baseline x86-64.
#include "nnkern/cpu_features.hpp"

#include <sstream>

namespace nnkern {

namespace {

struct Isa {
  const char* name;
  bool (*supported)();
};

// __builtin_cpu_supports takes only a literal, hence one small function per name. It exists on x86
// only; elsewhere the list is empty and required_isa() is empty too (no x86 macros are defined).
#if defined(__x86_64__) || defined(__i386__)
#define NNKERN_ISA(NAME) Isa{NAME, [] { return __builtin_cpu_supports(NAME) != 0; }}
const Isa kIsa[] = {
    NNKERN_ISA("sse3"),     NNKERN_ISA("ssse3"),    NNKERN_ISA("sse4.1"),   NNKERN_ISA("sse4.2"),
    NNKERN_ISA("popcnt"),   NNKERN_ISA("avx"),      NNKERN_ISA("avx2"),     NNKERN_ISA("fma"),
    NNKERN_ISA("bmi"),      NNKERN_ISA("bmi2"),     NNKERN_ISA("f16c"),     NNKERN_ISA("lzcnt"),
    NNKERN_ISA("movbe"),    NNKERN_ISA("avx512f"),  NNKERN_ISA("avx512bw"), NNKERN_ISA("avx512cd"),
    NNKERN_ISA("avx512dq"), NNKERN_ISA("avx512vl"),
};
#undef NNKERN_ISA
#else
const Isa kIsa[] = {{"", nullptr}};  // a placeholder: never matched, as names are non-empty
#endif

}  // namespace

const std::vector<std::string>& known_isa() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Isa& isa : kIsa)
      if (isa.supported) v.emplace_back(isa.name);
    return v;
  }();
  return names;
}

bool cpu_supports(const std::string& name) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();  // idempotent; needed if this runs before libgcc's own constructor
#endif
  for (const Isa& isa : kIsa)
    if (isa.supported && name == isa.name) return isa.supported();
  return false;
}

std::vector<std::string> required_isa() {
  std::vector<std::string> names;
  std::istringstream list(NNKERN_REQUIRED_ISA);  // comma-separated, set by CMake
  for (std::string name; std::getline(list, name, ',');)
    if (!name.empty()) names.push_back(name);
  return names;
}

std::vector<std::string> missing_isa(const std::string& required) {
  std::vector<std::string> missing;
  std::istringstream list(required);
  for (std::string name; std::getline(list, name, ',');)
    if (!name.empty() && !cpu_supports(name)) missing.push_back(name);
  return missing;
}

std::vector<std::string> missing_isa() { return missing_isa(NNKERN_REQUIRED_ISA); }

}  // namespace nnkern
