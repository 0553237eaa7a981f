#include "nnkern/activation.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>  // vectorised erf for the exact gelu
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sigmoid.hpp"

namespace nnkern {

namespace {
struct NamedActivation {
  const char* name;
  Activation act;
};
// Keras 3 names first, then the aliases Keras accepts.
constexpr NamedActivation kNames[] = {
    {"linear", Activation::Linear},         {"relu", Activation::Relu},
    {"sigmoid", Activation::Sigmoid},       {"tanh", Activation::Tanh},
    {"softmax", Activation::Softmax},       {"log_softmax", Activation::LogSoftmax},
    {"softplus", Activation::Softplus},     {"softsign", Activation::Softsign},
    {"elu", Activation::Elu},               {"selu", Activation::Selu},
    {"gelu", Activation::Gelu},             {"swish", Activation::Swish},
    {"hard_sigmoid", Activation::HardSigmoid}, {"hard_swish", Activation::HardSwish},
    {"exponential", Activation::Exponential},  {"leaky_relu", Activation::LeakyRelu},
    {"relu6", Activation::Relu6},           {"mish", Activation::Mish},
    {"silu", Activation::Swish},            {"hard_silu", Activation::HardSwish},
};

constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;
constexpr float kLeakySlope = 0.2f;  // Keras 3 leaky_relu default negative_slope

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;

// Eigen runs the first elements of an unaligned array in its scalar path, whose exp, tanh, erf and
// sums differ in the last bit from the vector path: a value would depend on its buffer's address.
// So the math runs only on aligned memory, where the vector path starts at the first element.
constexpr index_t kAlignFloats = EIGEN_MAX_ALIGN_BYTES / sizeof(float);
constexpr index_t kBlockFloats = 4096;  // an unaligned pass goes through a 16 KiB aligned block (L1)
using AlignedArrayMap = Eigen::Map<Eigen::ArrayXf, Eigen::AlignedMax>;

bool is_aligned(const float* p) { return reinterpret_cast<std::uintptr_t>(p) % EIGEN_MAX_ALIGN_BYTES == 0; }

void softmax_row(AlignedArrayMap a, bool log_form) {
  const float m = a.maxCoeff();
  a -= m;
  if (log_form) {
    a -= std::log(a.exp().sum());
  } else {
    a = a.exp();
    a /= a.sum();
  }
}
}  // namespace

Activation activation_from_name(std::string_view name) {
  if (name.empty() || name == "None" || name == "none") return Activation::Linear;
  for (const auto& n : kNames)
    if (name == n.name) return n.act;
  throw std::invalid_argument("unknown activation '" + std::string(name) + "'; known: " + activation_names());
}

const char* activation_name(Activation a) {
  for (const auto& n : kNames)
    if (n.act == a) return n.name;
  return "?";
}

const char* activation_names() {
  static const std::string names = [] {
    std::string s;
    for (const auto& n : kNames) s += (s.empty() ? "" : ", ") + std::string(n.name);
    return s;
  }();
  return names.c_str();
}

namespace {
void activation_aligned(AlignedArrayMap a, Activation act) {
  switch (act) {
    case Activation::Linear: break;
    case Activation::Relu: a = a.max(0.0f); break;
    case Activation::Sigmoid: vmath::sigmoid_inplace(a.data(), a.size()); break;
    case Activation::Tanh: a = a.tanh(); break;
    case Activation::Softplus:  // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
      a = a.max(0.0f) + (-a.abs()).exp().log1p();
      break;
    case Activation::Softsign: a = a / (1.0f + a.abs()); break;
    case Activation::Elu: a = (a > 0.0f).select(a, a.min(0.0f).expm1()); break;
    case Activation::Selu: a = kSeluScale * (a > 0.0f).select(a, kSeluAlpha * a.min(0.0f).expm1()); break;
    case Activation::Gelu: a = 0.5f * a * (1.0f + (a * static_cast<float>(M_SQRT1_2)).erf()); break;
    case Activation::Swish: vmath::swish_inplace(a.data(), a.size()); break;
    case Activation::HardSigmoid: a = (a * (1.0f / 6.0f) + 0.5f).max(0.0f).min(1.0f); break;
    case Activation::HardSwish: a = a * (a * (1.0f / 6.0f) + 0.5f).max(0.0f).min(1.0f); break;
    case Activation::Exponential: a = a.exp(); break;
    case Activation::LeakyRelu: a = (a > 0.0f).select(a, kLeakySlope * a); break;
    case Activation::Relu6: a = a.max(0.0f).min(6.0f); break;
    case Activation::Mish: a = a * (a.max(0.0f) + (-a.abs()).exp().log1p()).tanh(); break;
    case Activation::Softmax:
    case Activation::LogSoftmax:
      throw std::invalid_argument("softmax needs rows: use bias_activation");
  }
}
}  // namespace

void activation_inplace(float* y, index_t n, Activation act) {
  if (n <= 0 || act == Activation::Linear) return;
  if (act == Activation::Softmax || act == Activation::LogSoftmax)
    throw std::invalid_argument("softmax needs rows: use bias_activation");
  if (is_aligned(y)) return activation_aligned(AlignedArrayMap(y, n), act);
  // These read and write unaligned packets, the tail through the same packet code.
  if (act == Activation::Sigmoid) return vmath::sigmoid_inplace(y, n);
  if (act == Activation::Swish) return vmath::swish_inplace(y, n);
  // max / min are the same in Eigen's scalar and vector paths (NaN included: its pmax takes std::max's
  // operand order), so these run in place; the copies below cost a depthwise layer ~15 %.
  if (act == Activation::Relu) {
    ArrayMap(y, n) = ArrayMap(y, n).max(0.0f);
    return;
  }
  if (act == Activation::Relu6) {
    ArrayMap(y, n) = ArrayMap(y, n).max(0.0f).min(6.0f);
    return;
  }
  // Blocks of whole packets: the scalar tail is the same last n % kAlignFloats elements as above.
  alignas(EIGEN_MAX_ALIGN_BYTES) float block[kBlockFloats];
  static_assert(kBlockFloats % kAlignFloats == 0);
  for (index_t i = 0; i < n; i += kBlockFloats) {
    const index_t m = std::min(kBlockFloats, n - i);
    std::copy_n(y + i, m, block);
    activation_aligned(AlignedArrayMap(block, m), act);
    std::copy_n(block, m, y + i);
  }
}

void bias_activation(float* y, index_t rows, index_t cols, const float* bias, Activation act) {
  if (rows <= 0 || cols <= 0) return;
  if (act == Activation::Softmax || act == Activation::LogSoftmax) {
    std::vector<float, Eigen::aligned_allocator<float>> aligned_row;
    for (index_t r = 0; r < rows; ++r) {
      float* row = y + r * cols;
      if (bias) ArrayMap(row, cols) += Eigen::Map<const Eigen::ArrayXf>(bias, cols);
      if (is_aligned(row)) {
        softmax_row(AlignedArrayMap(row, cols), act == Activation::LogSoftmax);
      } else {
        aligned_row.assign(row, row + cols);
        softmax_row(AlignedArrayMap(aligned_row.data(), cols), act == Activation::LogSoftmax);
        std::copy_n(aligned_row.data(), cols, row);
      }
    }
    return;
  }
  // Elementwise: bias row by row, then the activation as one long vector pass over a chunk of
  // rows still in L1 (a call per narrow row, e.g. 32 conv channels, cost more than the math).
  const index_t chunk_rows = std::max<index_t>(1, 4096 / cols);
  for (index_t r0 = 0; r0 < rows; r0 += chunk_rows) {
    const index_t n = std::min(chunk_rows, rows - r0);
    float* chunk = y + r0 * cols;
    if (bias) {
      for (index_t r = 0; r < n; ++r) {
        float* __restrict row = chunk + r * cols;
        for (index_t c = 0; c < cols; ++c) row[c] += bias[c];
      }
    }
    if (act != Activation::Linear) activation_inplace(chunk, n * cols, act);
  }
}

}  // namespace nnkern
