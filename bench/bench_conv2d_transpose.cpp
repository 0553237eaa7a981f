// Filled in by the conv2d_transpose kernel work.
#include "bench_common.hpp"
