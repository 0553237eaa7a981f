#include "nnkern/common.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace nnkern {

Padding padding_from_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "valid") return Padding::Valid;
  if (lower == "same") return Padding::Same;
  throw std::invalid_argument("padding must be 'valid' or 'same', got '" + std::string(name) + "'");
}

const char* padding_name(Padding p) { return p == Padding::Valid ? "valid" : "same"; }

namespace {

index_t checked_mul(index_t a, index_t b, const char* what) {
  index_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw std::invalid_argument(std::string(what) + ": sizes are too large (overflows int64)");
  return r;
}

// The arguments every size rule takes, checked before any arithmetic (stride 0 would divide by zero).
// Messages are built only on failure: these run several times per kernel call.
void check_axis_arguments(index_t input, index_t kernel, index_t stride, index_t dilation) {
  if (input < 0) throw std::invalid_argument("input length must be >= 0, got " + std::to_string(input));
  if (kernel < 1) throw std::invalid_argument("kernel size must be >= 1, got " + std::to_string(kernel));
  if (stride < 1) throw std::invalid_argument("stride must be >= 1, got " + std::to_string(stride));
  if (dilation < 1) throw std::invalid_argument("dilation must be >= 1, got " + std::to_string(dilation));
}

}  // namespace

index_t checked_sum(index_t a, index_t b, index_t c, const char* what) {
  index_t r;
  if (__builtin_add_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r))
    throw std::invalid_argument(std::string(what) + ": sizes are too large (overflows int64)");
  return r;
}

index_t dilated_kernel(index_t kernel, index_t dilation) {
  if (kernel < 1) throw std::invalid_argument("kernel size must be >= 1, got " + std::to_string(kernel));
  if (dilation < 1) throw std::invalid_argument("dilation must be >= 1, got " + std::to_string(dilation));
  return checked_sum(checked_mul(kernel - 1, dilation, "dilated kernel"), 1, 0, "dilated kernel");
}

index_t conv_output_length(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding) {
  check_axis_arguments(input, kernel, stride, dilation);
  const index_t k = dilated_kernel(kernel, dilation);
  if (padding == Padding::Same) return input == 0 ? 0 : (input - 1) / stride + 1;
  return input < k ? 0 : (input - k) / stride + 1;
}

index_t conv_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding) {
  const index_t out = conv_output_length(input, kernel, stride, dilation, padding);
  if (padding == Padding::Valid) return 0;
  // (out - 1) * stride <= input - 1, so only the dilated kernel can push the sum past int64.
  const index_t reach = checked_sum((out - 1) * stride, dilated_kernel(kernel, dilation), -input, "same padding");
  return std::max<index_t>(reach, 0) / 2;
}

index_t conv_pad_after(index_t input, index_t kernel, index_t stride, index_t dilation, Padding padding) {
  const index_t out = conv_output_length(input, kernel, stride, dilation, padding);
  if (padding == Padding::Valid || out == 0) return 0;
  const index_t before = conv_pad_before(input, kernel, stride, dilation, padding);
  // As in conv_pad_before, only the dilated kernel can push the sum past int64.
  const index_t reach = checked_sum((out - 1) * stride, dilated_kernel(kernel, dilation), -input - before, "same padding");
  return std::max<index_t>(reach, 0);
}

index_t conv_transpose_output_length(index_t input, index_t kernel, index_t stride, index_t dilation,
                                     Padding padding, index_t output_padding) {
  check_axis_arguments(input, kernel, stride, dilation);
  if (output_padding >= stride)
    throw std::invalid_argument("output_padding must be smaller than the stride (Keras), got output_padding " +
                                std::to_string(output_padding) + " with stride " + std::to_string(stride));
  const index_t k = dilated_kernel(kernel, dilation);
  const char* what = "conv transpose output length";
  if (output_padding < 0) {
    const index_t scaled = checked_mul(input, stride, what);
    return padding == Padding::Valid ? checked_sum(scaled, std::max<index_t>(k - stride, 0), 0, what) : scaled;
  }
  const index_t pad = padding == Padding::Same ? k / 2 : 0;
  return checked_sum(checked_mul(input - 1, stride, what), k - 2 * pad, output_padding, what);
}

index_t conv_transpose_pad_before(index_t input, index_t kernel, index_t stride, index_t dilation,
                                  Padding padding, index_t output_padding) {
  check_axis_arguments(input, kernel, stride, dilation);  // the rule does not depend on input's value
  if (padding == Padding::Valid) return 0;
  const index_t k = dilated_kernel(kernel, dilation);
  // Total padding JAX adds so the output length is Keras's (see conv_transpose_output_length).
  const index_t pad_len = output_padding < 0 ? checked_sum(stride, k, -2, "conv transpose padding")
                                             : checked_sum(k + k % 2 - 2, output_padding, 0, "conv transpose padding");
  const index_t left_pad = std::min(pad_len / 2 + pad_len % 2, k - 1);
  return k - 1 - left_pad;
}

index_t checked_product(std::initializer_list<index_t> sizes, const char* what) {
  index_t total = 1;
  for (index_t s : sizes) {
    if (s < 0) throw std::invalid_argument(std::string(what) + ": negative size " + std::to_string(s));
    if (__builtin_mul_overflow(total, s, &total))
      throw std::invalid_argument(std::string(what) + ": sizes are too large (element count overflows int64)");
  }
  return total;
}

template <int N>
void validate(const Window<N>& w, const char* fn) {
  const auto fail = [fn](const std::string& what) { throw std::invalid_argument(std::string(fn) + ": " + what); };
  const auto any_below = [](const typename Window<N>::Axes& a, index_t min) {
    return std::any_of(a.begin(), a.end(), [min](index_t v) { return v < min; });
  };
  if (w.batch < 0 || any_below(w.in, 0))
    fail("sizes must be >= 0, got batch " + std::to_string(w.batch) + ", input " + axes_str(w.in));
  if (any_below(w.kernel, 1)) fail("kernel size must be >= 1, got " + axes_str(w.kernel));
  if (any_below(w.stride, 1)) fail("strides must be >= 1, got " + axes_str(w.stride));
  if (any_below(w.dilation, 1)) fail("dilation_rate must be >= 1, got " + axes_str(w.dilation));
  if (any_below(w.pad_before, 0) || any_below(w.pad_after, 0))
    fail("pads must be >= 0, got before " + axes_str(w.pad_before) + ", after " + axes_str(w.pad_after));
  // A window may start anywhere in the padded input and reach a dilated kernel further; every
  // stride step stays inside that extent, so index arithmetic on these bounds cannot overflow.
  for (int a = 0; a < N; ++a) {
    const index_t padded = checked_sum(w.in[a], w.pad_before[a], w.pad_after[a], fn);
    checked_sum(checked_sum(padded, checked_mul(w.kernel[a] - 1, w.dilation[a], fn), 1, fn), w.stride[a], 0, fn);
  }
}

template void validate(const Window<2>& w, const char* fn);
template void validate(const Window<3>& w, const char* fn);

namespace {
// The checks that do not depend on the pads' values: the window, channels and groups.
template <int N>
void validate_conv_arguments(const ConvShape<N>& s, const char* fn) {
  validate<N>(s, fn);
  const std::string prefix = std::string(fn) + ": ";
  require(s.in_channels >= 0 && s.out_channels >= 0, prefix + "sizes must be >= 0");
  require(s.groups >= 1, prefix + "groups must be >= 1, got " + std::to_string(s.groups));
  require(s.in_channels % s.groups == 0, prefix + "input channels (" + std::to_string(s.in_channels) +
                                             ") must be divisible by groups (" + std::to_string(s.groups) + ")");
  require(s.out_channels % s.groups == 0, prefix + "output channels (" + std::to_string(s.out_channels) +
                                              ") must be divisible by groups (" + std::to_string(s.groups) + ")");
}

template <int N>
const char* axis_name(int axis) {
  static constexpr const char* names[] = {"depth", "height", "width"};
  return names[3 - N + axis];
}
}  // namespace

template <int N>
void validate_conv(const ConvShape<N>& s, const char* fn) {
  validate_conv_arguments(s, fn);
  const std::string prefix = std::string(fn) + ": ";
  // Padded extents, before out() computes with them.
  for (int a = 0; a < N; ++a) {
    const index_t padded = checked_sum(s.in[a], s.pad_before[a], s.pad_after[a], (std::string(fn) + " padded input").c_str());
    require(s.in[a] == 0 || padded >= s.dilated_kernel(a),
            prefix + "kernel " + axis_name<N>(a) + " " + std::to_string(s.dilated_kernel(a)) +
                " (dilated) is larger than the padded input " + axis_name<N>(a) + " " + std::to_string(padded) +
                ": it would produce an empty/negative output");
  }
  // Per-image products first: a batch of 0 must not hide an overflowing per-image size.
  const std::string input = std::string(fn) + " input", kernel = std::string(fn) + " kernel",
                    output = std::string(fn) + " output";
  index_t in_size = 1, kernel_size = 1, out_size = 1;
  for (int a = 0; a < N; ++a) {
    in_size = checked_product({in_size, s.in[a]}, input.c_str());
    kernel_size = checked_product({kernel_size, s.kernel[a]}, kernel.c_str());
    out_size = checked_product({out_size, s.out(a)}, output.c_str());
  }
  checked_product({s.batch, checked_product({in_size, s.in_channels}, input.c_str())}, input.c_str());
  checked_product({kernel_size, s.kernel_in(), s.out_channels}, kernel.c_str());
  checked_product({s.batch, checked_product({out_size, s.out_channels}, output.c_str())}, output.c_str());
}

template <int N>
void set_conv_shape(ConvShape<N>& s, const Window<N>& window, index_t in_channels, index_t out_channels,
                    index_t groups, Padding padding, const char* fn) {
  static_cast<Window<N>&>(s) = window;
  s.pad_before = s.pad_after = Window<N>::filled(0);
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  s.groups = groups;
  validate_conv_arguments(s, fn);  // sane sizes, strides and dilations before the pad arithmetic uses them
  set_conv_padding(s, padding);
  validate_conv(s, fn);
}

template void validate_conv(const ConvShape<2>& s, const char* fn);
template void validate_conv(const ConvShape<3>& s, const char* fn);
template void set_conv_shape(ConvShape<2>& s, const Window<2>& window, index_t in_channels, index_t out_channels,
                             index_t groups, Padding padding, const char* fn);
template void set_conv_shape(ConvShape<3>& s, const Window<3>& window, index_t in_channels, index_t out_channels,
                             index_t groups, Padding padding, const char* fn);

}  // namespace nnkern
