#include "nnkern/layer_norm.hpp"

#include <algorithm>
#include <cmath>

#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

// Sums run in kLanes interleaved partial sums (element i into lane i % kLanes), added pairwise at the
// end: the compiler vectorizes the lanes, and the order of additions depends on the row length only,
// never on the row's alignment (Eigen's reductions peel unaligned heads, so their last bit would).
constexpr index_t kLanes = 8;
// Rows per task: enough work to be worth a task, fixed so the split never depends on the thread count.
constexpr index_t kTaskFloats = 16384;

float combine(float (&acc)[kLanes]) {
  for (index_t width = kLanes / 2; width >= 1; width /= 2)
    for (index_t j = 0; j < width; ++j) acc[j] += acc[j + width];
  return acc[0];
}

float row_sum(const float* s, index_t n) {
  float acc[kLanes] = {};
  index_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (index_t j = 0; j < kLanes; ++j) acc[j] += s[i + j];
  for (index_t j = 0; i + j < n; ++j) acc[j] += s[i + j];
  return combine(acc);
}

float row_squared_deviations(const float* s, index_t n, float mean) {
  float acc[kLanes] = {};
  index_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (index_t j = 0; j < kLanes; ++j) {
      const float d = s[i + j] - mean;
      acc[j] += d * d;
    }
  for (index_t j = 0; i + j < n; ++j) {
    const float d = s[i + j] - mean;
    acc[j] += d * d;
  }
  return combine(acc);
}

// One row: s is the (summed) input row, y the output row (may be s).
void normalize_row(const float* s, const float* gamma, const float* beta, float epsilon, float* y, index_t n) {
  const float count = static_cast<float>(n);
  const float mean = row_sum(s, n) / count;
  const float variance = row_squared_deviations(s, n, mean) / count;
  const float inv = 1.0f / std::sqrt(variance + epsilon);
  if (gamma && beta) {
    for (index_t c = 0; c < n; ++c) {
      const float scale = inv * gamma[c];
      y[c] = s[c] * scale + (beta[c] - mean * scale);
    }
  } else if (gamma) {
    for (index_t c = 0; c < n; ++c) {
      const float scale = inv * gamma[c];
      y[c] = s[c] * scale + -mean * scale;
    }
  } else {
    const float shift = -mean * inv;
    if (beta)
      for (index_t c = 0; c < n; ++c) y[c] = s[c] * inv + (shift + beta[c]);
    else
      for (index_t c = 0; c < n; ++c) y[c] = s[c] * inv + shift;
  }
}

}  // namespace

void validate(const LayerNormShape& s) {
  require(s.rows >= 0 && s.cols >= 0, "layer_norm: sizes must be >= 0");
  checked_product({s.rows, s.cols}, "layer_norm: input size");
}

void layer_norm(const float* x, const float* residual, const float* gamma, const float* beta, float epsilon,
                float* y, const LayerNormShape& s) {
  detail::begin_call();
  validate(s);
  const index_t rows = s.rows, n = s.cols;
  if (rows == 0 || n == 0) return;
  const index_t rows_per_task = std::max<index_t>(1, kTaskFloats / n);
  const index_t tasks = (rows + rows_per_task - 1) / rows_per_task;
  // Bytes: x (and residual) read, y written; the row is read again from cache.
  const int threads = threads_for_bytes(4.0 * rows * n * (residual ? 3 : 2));
  detail::parallel_for(tasks, threads, [&](index_t t) {
    const index_t r_end = std::min(rows, (t + 1) * rows_per_task);
    for (index_t r = t * rows_per_task; r < r_end; ++r) {
      const float* xr = x + r * n;
      float* yr = y + r * n;
      if (residual) {  // the sum is rounded to float32 (as Keras's Add), then normalized in place
        const float* rr = residual + r * n;
        for (index_t c = 0; c < n; ++c) yr[c] = xr[c] + rr[c];
        xr = yr;
      }
      normalize_row(xr, gamma, beta, epsilon, yr, n);
    }
  });
}

}  // namespace nnkern
