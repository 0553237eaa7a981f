// Arguments the sequence kernels' bindings (register_lstm.cpp, register_recurrent.cpp) share.
#pragma once
#include <optional>
#include <string>

#include "array.hpp"

namespace nnkern::py_bind {

using MaskArray = py::array_t<bool, py::array::c_style | py::array::forcecast>;

// A (batch, timesteps) mask of any real dtype as a bool array, or nullopt for None.
inline std::optional<MaskArray> sequence_mask(const py::object& mask_in, const char* fn, index_t batch,
                                              index_t timesteps) {
  if (mask_in.is_none()) return std::nullopt;  // (a default-constructed array_t is an empty array, not null)
  if (py::isinstance<py::array>(mask_in))
    require_real_dtype(py::reinterpret_borrow<py::array>(mask_in), fn, "mask", "bool");
  MaskArray mask = MaskArray::ensure(mask_in);
  if (!mask) {
    PyErr_Clear();
    throw py::type_error(std::string(fn) + ": 'mask' cannot be converted to a bool array (got " +
                         type_name(mask_in) + ")");
  }
  require_shape(mask, {batch, timesteps}, fn, "mask");
  return mask;
}

// Shape check of kernel (input_dim, gates * units) and recurrent_kernel (units, gates * units), where
// gates is the columns per unit (LSTM 4, GRU 3, SimpleRNN 1); returns units.
inline index_t check_recurrent_kernels(const FloatArray& w, const FloatArray& rk, index_t input_dim, index_t gates,
                                       const char* fn) {
  const std::string cols = gates == 1 ? "units" : std::to_string(gates) + " * units";
  require_ndim(rk, 2, fn, "recurrent_kernel", ("(units, " + cols + ")").c_str());
  const index_t u = rk.shape(0);
  if (rk.shape(1) != gates * u)
    throw py::value_error(std::string(fn) + ": 'recurrent_kernel' must have shape (units, " + cols + "), got " +
                          shape_str(rk));
  require_ndim(w, 2, fn, "kernel", ("(input_dim, " + cols + ")").c_str());
  if (w.shape(0) != input_dim || w.shape(1) != gates * u)
    throw py::value_error(std::string(fn) + ": 'kernel' must have shape " + shape_str({input_dim, gates * u}) +
                          " (input_dim of x, " + cols + " of recurrent_kernel), got " + shape_str(w));
  return u;
}

// numpy bools are one byte holding 0 or 1.
inline const std::uint8_t* mask_bytes(const std::optional<MaskArray>& mask) {
  return mask ? reinterpret_cast<const std::uint8_t*>(mask->data()) : nullptr;
}

}  // namespace nnkern::py_bind
