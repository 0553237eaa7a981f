// Filled in by the lstm kernel work.
#include "nnkern/common.hpp"
