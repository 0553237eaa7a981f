// The CPU's instruction sets, asked at run time (cpuid, and the OS's support for the wider
// registers). Compiled for baseline x86-64, without the kernels' -march, so that it runs on any
// x86-64 CPU: nnkern._cpu calls it before nnkern._core (built for NNKERN_ARCH) is loaded, and a
// dispatcher choosing between kernel builds can call it too.
#pragma once
#include <string>
#include <vector>

namespace nnkern {

// Names as GCC's __builtin_cpu_supports spells them ("avx2", "fma", "sse4.2", "avx512f", ...).
// The ones nnkern knows about, in a fixed order.
const std::vector<std::string>& known_isa();

// Whether this CPU (and OS) supports `name`, one of known_isa(); false for an unknown name.
bool cpu_supports(const std::string& name);

// The instruction sets the least capable kernel variant was compiled to use (from the compiler's
// predefined macros for its -march, found at configure time), in known_isa() order.
std::vector<std::string> required_isa();

// required_isa() less what this CPU supports: empty when the kernels can run here.
std::vector<std::string> missing_isa();

// The names in `required` (comma-separated) this CPU does not support, in their given order.
std::vector<std::string> missing_isa(const std::string& required);

}  // namespace nnkern
