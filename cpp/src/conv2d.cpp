// Filled in by the conv2d kernel work.
#include "nnkern/common.hpp"
