// Argument checks the convolution bindings share (register_conv2d.cpp, register_conv3d.cpp), with
// Keras-style messages, run before any pointer is touched.
#pragma once
#include <optional>
#include <string>

#include "array.hpp"

namespace nnkern::py_bind {

// Checks the channel and bias arguments of a conv call whose x has `channels` channels and whose
// kernel's last two axes are (in_per_group, filters).
inline void check_channels(const FloatArray& x, const FloatArray& kernel, const std::optional<FloatArray>& bias,
                           index_t groups, const char* fn) {
  const index_t channels = x.shape(x.ndim() - 1);
  const index_t kernel_in = kernel.shape(kernel.ndim() - 2), filters = kernel.shape(kernel.ndim() - 1);
  if (channels % groups != 0)
    throw py::value_error(std::string(fn) + ": the number of input channels must be evenly divisible by groups; "
                          "x has " + std::to_string(channels) + " channels (x shape " + shape_str(x) +
                          "), groups=" + std::to_string(groups));
  if (kernel_in != channels / groups)
    throw py::value_error(std::string(fn) + ": kernel expects " + std::to_string(kernel_in) +
                          " input channels per group (kernel shape " + shape_str(kernel) + "), x has " +
                          std::to_string(channels) + " channels (x shape " + shape_str(x) + ") in " +
                          std::to_string(groups) + " group(s), i.e. " + std::to_string(channels / groups) +
                          " per group");
  if (filters % groups != 0)
    throw py::value_error(std::string(fn) + ": the number of filters must be evenly divisible by groups; kernel has " +
                          std::to_string(filters) + " filters (kernel shape " + shape_str(kernel) +
                          "), groups=" + std::to_string(groups));
  if (bias) require_shape(*bias, {filters}, fn, "bias");
}

// Keras refuses a `valid` convolution whose window does not fit the input on some axis.
inline void check_fits(index_t input, index_t kernel, index_t stride, index_t dilation, const char* axis, const char* fn) {
  const index_t dilated = naming(fn, [&] { return dilated_kernel(kernel, dilation); });
  if (naming(fn, [&] { return conv_output_length(input, kernel, stride, dilation, Padding::Valid); }) <= 0)
    throw py::value_error(std::string(fn) + ": kernel " + axis + " " + std::to_string(kernel) + " (" +
                          std::to_string(dilated) + " dilated) is larger than the input " + axis + " " +
                          std::to_string(input) + " with padding='valid': it would produce an empty/negative output");
}

}  // namespace nnkern::py_bind
