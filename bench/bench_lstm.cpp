// Filled in by the lstm kernel work.
#include "bench_common.hpp"
