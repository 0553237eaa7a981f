// numpy <-> kernel plumbing shared by the register_*.cpp files: conversion to float32 C order,
// shape checks that raise ValueError with expected vs. given shapes, fresh output arrays.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "nnkern/common.hpp"

namespace nnkern::py_bind {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Any array-like to float32 C-contiguous: no copy when it already is one, one conversion otherwise
// (float64, ints, Fortran order, negative strides, big-endian, read-only views).
inline FloatArray as_float32(const py::handle& obj, const char* fn, const char* arg) {
  if (obj.is_none()) throw py::value_error(std::string(fn) + ": '" + arg + "' must be an array, got None");
  FloatArray a = FloatArray::ensure(obj);
  if (!a) {
    PyErr_Clear();
    throw py::type_error(std::string(fn) + ": '" + arg + "' cannot be converted to a float32 array (got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))) + ")");
  }
  return a;
}

// For checking shapes before any conversion: a numpy array as it is (its shape known without a copy,
// so an absurd shape, e.g. a broadcast view, is refused before it is materialised); anything else
// (lists, ...) converted with as_float32.
inline py::array array_view(const py::handle& obj, const char* fn, const char* arg) {
  if (py::isinstance<py::array>(obj)) return py::reinterpret_borrow<py::array>(obj);
  return as_float32(obj, fn, arg);
}

inline std::optional<FloatArray> as_float32_or_none(const py::object& obj, const char* fn, const char* arg) {
  if (obj.is_none()) return std::nullopt;
  return as_float32(obj, fn, arg);
}

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

inline void require_ndim(const py::array& a, py::ssize_t ndim, const char* fn, const char* arg, const char* layout) {
  if (a.ndim() != ndim)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be " + std::to_string(ndim) + "-D " + layout +
                          ", got shape " + shape_str(a));
}

inline void require_shape(const py::array& a, const std::vector<index_t>& expected, const char* fn, const char* arg) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(expected.size());
  for (size_t i = 0; ok && i < expected.size(); ++i) ok = a.shape(i) == expected[i];
  if (!ok) {
    std::string e = "(";
    for (size_t i = 0; i < expected.size(); ++i) e += (i ? ", " : "") + std::to_string(expected[i]);
    if (expected.size() == 1) e += ",";
    throw py::value_error(std::string(fn) + ": '" + arg + "' must have shape " + e + ")" + ", got " + shape_str(a));
  }
}

// A pair argument (int or 2-sequence of ints), each >= min_value; names the argument on error.
inline std::pair<index_t, index_t> int_pair(const py::object& obj, const char* fn, const char* arg, index_t min_value) {
  std::vector<index_t> v;
  try {  // floats, strings and ints beyond int64 are not sizes
    if (PyIndex_Check(obj.ptr()))  // int, numpy integers
      v.assign(2, obj.cast<index_t>());
    else
      v = obj.cast<std::vector<index_t>>();
  } catch (const py::cast_error&) {
    throw py::type_error(std::string(fn) + ": '" + arg + "' must be an int or a pair of ints, got " +
                         std::string(py::repr(obj)));
  }
  if (v.size() != 2)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be an int or a pair of ints, got " +
                          std::string(py::repr(obj)));
  const index_t a = v[0], b = v[1];
  if (a < min_value || b < min_value)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be >= " + std::to_string(min_value) + ", got " +
                          std::string(py::repr(obj)));
  return {a, b};
}

inline FloatArray new_float_array(const std::vector<index_t>& shape) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  return FloatArray(s);
}

// The optional `out=` buffer of a kernel: None gives a fresh array of `shape`; otherwise it must be a
// writeable float32 C-contiguous numpy array of exactly `shape`, and it is written in place.
inline FloatArray output_array(const py::object& out, const std::vector<index_t>& shape, const char* fn) {
  if (out.is_none()) return new_float_array(shape);
  if (!py::isinstance<py::array>(out))
    throw py::type_error(std::string(fn) + ": 'out' must be a numpy float32 array, got " +
                         std::string(py::str(py::type::of(out).attr("__name__"))));
  auto a = py::reinterpret_borrow<py::array>(out);
  if (!a.dtype().equal(py::dtype::of<float>()))
    throw py::type_error(std::string(fn) + ": 'out' must have dtype float32, got " + std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(fn) + ": 'out' must be C-contiguous");
  if (!a.writeable()) throw py::value_error(std::string(fn) + ": 'out' must be writeable");
  require_shape(a, shape, fn, "out");
  return py::reinterpret_borrow<FloatArray>(a);
}

// An `out=` buffer must not share memory with an input the kernel reads while writing it.
inline void require_disjoint(const py::array& out, const py::array& in, const char* fn, const char* arg) {
  const auto* o = static_cast<const char*>(out.data());
  const auto* i = static_cast<const char*>(in.data());
  if (o < i + in.nbytes() && i < o + out.nbytes())
    throw py::value_error(std::string(fn) + ": 'out' shares memory with '" + arg + "'");
}

}  // namespace nnkern::py_bind
