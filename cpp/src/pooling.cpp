// Filled in by the pooling kernel work.
#include "nnkern/common.hpp"
