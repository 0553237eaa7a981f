// numpy <-> kernel plumbing shared by the register_*.cpp files, each helper once: conversion to
// float32 C order (refusing non-real dtypes, copying misaligned views), shape checks that raise
// ValueError with expected vs. given shapes, int / int-tuple arguments, `out=` buffers.
// std::invalid_argument from the C++ API becomes ValueError through pybind11's own translation.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nnkern/common.hpp"

namespace nnkern::py_bind {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// numpy's NPY_ARRAY_ALIGNED: the data pointer and strides are multiples of the item size.
constexpr int kNpyAligned = 0x0100;

inline std::string type_name(const py::handle& obj) { return py::str(py::type::of(obj).attr("__name__")); }

inline std::string shape_str(const std::vector<index_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

inline std::string shape_str(const py::array& a) {
  return shape_str(std::vector<index_t>(a.shape(), a.shape() + a.ndim()));
}

// Runs a C++ parser or shape rule of the shared vocabulary and puts "fn: " (and "'arg': " when
// given) in front of its std::invalid_argument message unless it already starts with "fn:"
// (pybind11 makes it a ValueError).
template <class F>
auto naming(const char* fn, F&& f, const char* arg = nullptr) -> decltype(f()) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what(), prefix = std::string(fn) + ":";
    if (what.rfind(prefix, 0) == 0) throw;
    throw std::invalid_argument(prefix + " " + (arg ? "'" + std::string(arg) + "': " : std::string()) + what);
  }
}

// Numbers only: bool, integer and floating dtypes convert to float32. Complex (the imaginary part
// would be dropped), datetime / timedelta, structured, object and string arrays are refused.
inline void require_real_dtype(const py::array& a, const char* fn, const char* arg, const char* target = "float32") {
  const char kind = a.dtype().kind();
  if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f')
    throw py::type_error(std::string(fn) + ": '" + arg + "' cannot be converted to a " + target + " array: dtype " +
                         std::string(py::str(a.dtype())) +
                         " is not a real number type (bool, integer or float); it is refused, not cast");
}

// Any array-like of real numbers to an aligned float32 C-contiguous array: no copy when it already
// is one, one conversion otherwise (float64, ints, Fortran order, negative strides, big-endian,
// read-only views, views misaligned by a byte offset, which the SIMD code must not read).
inline FloatArray as_float32(const py::handle& obj, const char* fn, const char* arg) {
  if (obj.is_none()) throw py::value_error(std::string(fn) + ": '" + arg + "' must be an array, got None");
  py::array given = py::array::ensure(obj);
  if (!given) {
    PyErr_Clear();
    throw py::type_error(std::string(fn) + ": '" + arg + "' cannot be converted to a float32 array (got " +
                         type_name(obj) + ")");
  }
  require_real_dtype(given, fn, arg);
  if (!(given.flags() & kNpyAligned))
    given = py::module_::import("numpy").attr("array")(given, py::arg("dtype") = "float32", py::arg("order") = "C");
  FloatArray a = FloatArray::ensure(given);
  if (!a) {
    PyErr_Clear();
    throw py::type_error(std::string(fn) + ": '" + arg + "' cannot be converted to a float32 array (got " +
                         type_name(obj) + ")");
  }
  return a;
}

// For checking shapes before any conversion: a numpy array as it is (its shape known without a copy,
// so an absurd shape, e.g. a broadcast view, is refused before it is materialised); anything else
// (lists, ...) converted with as_float32.
inline py::array array_view(const py::handle& obj, const char* fn, const char* arg) {
  if (py::isinstance<py::array>(obj)) {
    auto a = py::reinterpret_borrow<py::array>(obj);
    require_real_dtype(a, fn, arg);
    return a;
  }
  return as_float32(obj, fn, arg);
}

inline std::optional<FloatArray> as_float32_or_none(const py::object& obj, const char* fn, const char* arg) {
  if (obj.is_none()) return std::nullopt;
  return as_float32(obj, fn, arg);
}

inline void require_ndim(const py::array& a, py::ssize_t ndim, const char* fn, const char* arg, const char* layout) {
  if (a.ndim() != ndim)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be " + std::to_string(ndim) + "-D " + layout +
                          ", got shape " + shape_str(a));
}

inline void require_shape(const py::array& a, const std::vector<index_t>& expected, const char* fn, const char* arg) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i) ok = a.shape(i) == expected[i];
  if (!ok)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must have shape " + shape_str(expected) + ", got " +
                          shape_str(a));
}

// A size argument of `n` axes: an int (repeated n times) or an n-sequence of ints (Keras's
// standardize_tuple), each >= min_value; names the argument on error.
inline std::vector<index_t> int_tuple(const py::object& obj, size_t n, const char* fn, const char* arg,
                                      index_t min_value) {
  const std::string expected = n == 1   ? std::string("an int or a 1-tuple of ints")
                                : n == 2 ? std::string("an int or a pair of ints")
                                         : "an int or a tuple of " + std::to_string(n) + " ints";
  std::vector<index_t> v;
  try {  // floats, strings and ints beyond int64 are not sizes
    if (PyIndex_Check(obj.ptr()))  // int, numpy integers
      v.assign(n, obj.cast<index_t>());
    else
      v = obj.cast<std::vector<index_t>>();
  } catch (const py::cast_error&) {
    throw py::type_error(std::string(fn) + ": '" + arg + "' must be " + expected + ", got " +
                         std::string(py::repr(obj)));
  }
  if (v.size() != n)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be " + expected + ", got " +
                          std::string(py::repr(obj)));
  for (index_t x : v)
    if (x < min_value)
      throw py::value_error(std::string(fn) + ": '" + arg + "' must be >= " + std::to_string(min_value) + ", got " +
                            std::string(py::repr(obj)));
  return v;
}

inline std::pair<index_t, index_t> int_pair(const py::object& obj, const char* fn, const char* arg, index_t min_value) {
  const auto v = int_tuple(obj, 2, fn, arg, min_value);
  return {v[0], v[1]};
}

inline Window3D::Axes int_triple(const py::object& obj, const char* fn, const char* arg, index_t min_value) {
  const auto v = int_tuple(obj, 3, fn, arg, min_value);
  return {v[0], v[1], v[2]};
}

inline index_t int_single(const py::object& obj, const char* fn, const char* arg, index_t min_value) {
  return int_tuple(obj, 1, fn, arg, min_value)[0];
}

// The product of the axes between the first and the last: the steps of a (batch, steps..., channels)
// array seen as (batch, steps, channels).
inline index_t inner_steps(const py::array& a) {
  index_t steps = 1;
  for (py::ssize_t d = 1; d + 1 < a.ndim(); ++d) steps *= a.shape(d);
  return steps;
}

// A new float32 C-order array; one of 16 KiB or more is 64-byte aligned and takes its memory from the
// cache of blocks that such arrays gave back when freed (output_cache.cpp).
FloatArray new_float_array(const std::vector<index_t>& shape);

// True when values[index] is a kernel's float32 output over a cached block (new_float_array) that
// nothing but the list references: no other reference to the array, no view of it. A kernel may then
// write its output over it (a prediction plan's dead residual: conv2d's `out` = `residual`).
bool sole_output_in(const py::list& values, py::ssize_t index);

// Frees the cached blocks no array uses; returns their bytes.
size_t release_cached_outputs();

// Bytes held by cached blocks no array uses.
size_t cached_output_bytes();

// Bytes from a non-empty array's first element to the end of its last (nbytes when C-contiguous; more for
// a view with gaps, e.g. a column slice). Kernels are given arrays with non-negative strides only.
inline py::ssize_t byte_span(const py::array& a) {
  py::ssize_t span = a.itemsize();
  for (py::ssize_t d = 0; d < a.ndim(); ++d) span += (a.shape(d) - 1) * a.strides(d);
  return span;
}

// An input the kernel reads while it writes `out`, with its argument name.
struct NamedInput {
  const py::array* array;  // nullptr: an optional input not given
  const char* name;
};

// Raises ValueError when `out` shares memory with `in` (a kernel writing while it reads would read
// its own results). `identical_allowed`: `in` may be exactly the same buffer (an in-place update the
// kernel supports, e.g. lstm_step's h_out = h).
inline void require_disjoint(const py::array& out, const char* out_arg, const py::array& in, const char* arg,
                             const char* fn, bool identical_allowed = false) {
  if (out.nbytes() == 0 || in.nbytes() == 0) return;
  const auto* o = static_cast<const char*>(out.data());
  const auto* i = static_cast<const char*>(in.data());
  if (identical_allowed && o == i && out.nbytes() == in.nbytes()) return;
  if (o < i + byte_span(in) && i < o + byte_span(out))
    throw py::value_error(std::string(fn) + ": '" + out_arg + "' shares memory with '" + arg + "'; '" + out_arg +
                          "' must not share memory with an input");
}

// The optional `out=` buffer of a kernel (`arg` names it): None gives a fresh array of `shape`;
// otherwise it must be a writeable, aligned float32 C-contiguous numpy array of exactly `shape` that
// shares no memory with any of `inputs`, and it is written in place.
inline FloatArray output_array(const py::object& out, const std::vector<index_t>& shape, const char* fn,
                               std::initializer_list<NamedInput> inputs, const char* arg = "out") {
  if (out.is_none()) return new_float_array(shape);
  const std::string prefix = std::string(fn) + ": '" + arg + "' ";
  if (!py::isinstance<py::array>(out))
    throw py::type_error(prefix + "must be a numpy float32 array of shape " + shape_str(shape) + ", got " +
                         type_name(out));
  auto a = py::reinterpret_borrow<py::array>(out);
  if (!a.dtype().equal(py::dtype::of<float>()))
    throw py::type_error(prefix + "must have dtype float32, got " + std::string(py::str(a.dtype())));
  require_shape(a, shape, fn, arg);
  if (!(a.flags() & py::array::c_style)) throw py::value_error(prefix + "must be C-contiguous");
  if (!(a.flags() & kNpyAligned)) throw py::value_error(prefix + "must be aligned (its data starts at an odd byte offset)");
  if (!a.writeable()) throw py::value_error(prefix + "must be writeable (it is read-only)");
  for (const NamedInput& in : inputs)
    if (in.array) require_disjoint(a, arg, *in.array, in.name, fn);
  return py::reinterpret_borrow<FloatArray>(a);
}

}  // namespace nnkern::py_bind
