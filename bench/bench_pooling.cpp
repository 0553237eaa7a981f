// Filled in by the pooling kernel work.
#include "bench_common.hpp"
