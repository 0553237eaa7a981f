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
  index_t a, b;
  std::vector<index_t> v;
  try {  // a float, a string or a sequence of those is a TypeError, not pybind11's RuntimeError
    if (py::isinstance<py::int_>(obj)) v = {obj.cast<index_t>(), obj.cast<index_t>()};
    else v = obj.cast<std::vector<index_t>>();
  } catch (const py::cast_error&) {
    throw py::type_error(std::string(fn) + ": '" + arg + "' must be an int or a pair of ints, got " +
                         std::string(py::repr(obj)));
  }
  if (v.size() != 2)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be an int or a pair of ints, got " +
                          std::string(py::repr(obj)));
  a = v[0];
  b = v[1];
  if (a < min_value || b < min_value)
    throw py::value_error(std::string(fn) + ": '" + arg + "' must be >= " + std::to_string(min_value) + ", got " +
                          std::string(py::repr(obj)));
  return {a, b};
}

inline FloatArray new_float_array(const std::vector<index_t>& shape) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  return FloatArray(s);
}

}  // namespace nnkern::py_bind
