// Filled in by the conv2d kernel work.
#include "bench_common.hpp"
