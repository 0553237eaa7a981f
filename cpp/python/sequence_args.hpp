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

// numpy bools are one byte holding 0 or 1.
inline const std::uint8_t* mask_bytes(const std::optional<MaskArray>& mask) {
  return mask ? reinterpret_cast<const std::uint8_t*>(mask->data()) : nullptr;
}

}  // namespace nnkern::py_bind
