#include "nnkern/merging.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

void multiply_channels_nwc(const float* x, const float* scale, float* y, index_t batch, index_t steps,
                           index_t channels) {
  if (batch < 0 || steps < 0 || channels < 0)
    throw std::invalid_argument("multiply_channels: negative size (batch " + std::to_string(batch) + ", steps " +
                                std::to_string(steps) + ", channels " + std::to_string(channels) + ")");
  detail::begin_call();
  const index_t C = channels;
  if (batch == 0 || steps == 0 || C == 0) return;
  // Tasks of kStepBlock steps of one sample: enough work per task to hide the scheduling, several tasks
  // per image to share among threads.
  constexpr index_t kStepBlock = 64;
  const index_t blocks = (steps + kStepBlock - 1) / kStepBlock;
  const int threads = threads_for_bytes(8.0 * static_cast<double>(batch) * steps * C);
  detail::parallel_for(batch * blocks, threads, [&](index_t task) {
    const index_t n = task / blocks, p0 = task % blocks * kStepBlock, p1 = std::min(steps, p0 + kStepBlock);
    const float* __restrict s = scale + n * C;
    for (index_t p = p0; p < p1; ++p) {
      const float* in = x + (n * steps + p) * C;
      float* out = y + (n * steps + p) * C;
      for (index_t c = 0; c < C; ++c) out[c] = in[c] * s[c];
    }
  });
}

}  // namespace nnkern
