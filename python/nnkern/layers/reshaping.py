"""Shape-only layers: Flatten, Reshape, Permute, RepeatVector, UpSampling1D/2D, ZeroPadding1D/2D,
Cropping1D/2D. They keep the input dtype (integer inputs stay integer)."""
import math

import numpy as np

from nnkern.engine.argument_validation import standardize_data_format, standardize_tuple
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.layers import image_resizing

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
           "ZeroPadding2D", "Cropping1D", "Cropping2D"]


class _ShapeLayer(Layer):
    """Base of the shape-only layers: output dtype = input dtype."""
    _plan_trusted = True

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)


class Flatten(_ShapeLayer):
    """Flattens every axis but the batch axis."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs):
        if self._channels_first and inputs.ndim > 2:
            inputs = np.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if not rest:
            return (input_shape[0], 1)
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def compute_reshape_output_shape(input_shape, newshape, arg_name, layer_name):
    """`newshape` with its -1 resolved (or None when the input shape has unknown dims)."""
    newshape = tuple(newshape)
    if any(d is not None and d < -1 for d in newshape) or newshape.count(-1) > 1:
        raise ValueError(f"Each dimension in `{arg_name}` must be a non-negative integer, or `-1` for a single "
                         f"unknown dimension. Received: {arg_name}={newshape}.")
    if None in input_shape:
        return tuple(None if d == -1 else d for d in newshape)
    size = math.prod(input_shape)
    if -1 not in newshape:
        if size != math.prod(newshape):
            raise ValueError(f"Reshape layer '{layer_name}': the total size of the tensor must be unchanged. "
                             f"Received: input_shape={tuple(input_shape)}, {arg_name}={newshape}")
        return newshape
    known = math.prod(d for d in newshape if d != -1)
    if known == 0 or size % known:
        raise ValueError(f"Reshape layer '{layer_name}': the total size of the tensor must be unchanged, however, "
                         f"the input size cannot by divided by the specified dimensions in {arg_name}. "
                         f"Received: input_shape={tuple(input_shape)}, {arg_name}={newshape}")
    return tuple(size // known if d == -1 else d for d in newshape)


class Reshape(_ShapeLayer):
    """Reshapes each sample to `target_shape` (one entry may be -1). Keras 0.x spelling: `dims=`."""

    def __init__(self, target_shape=None, **kwargs):
        if target_shape is None and "dims" in kwargs:
            target_shape = kwargs.pop("dims")
        if target_shape is None:
            raise TypeError("Reshape() missing required argument 'target_shape'")
        super().__init__(**kwargs)
        target_shape = (target_shape,) if isinstance(target_shape, int) else tuple(target_shape)
        compute_reshape_output_shape((None,), target_shape, "target_shape", self.name)  # validates
        self.target_shape = target_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + compute_reshape_output_shape(tuple(input_shape[1:]), self.target_shape,
                                                                "target_shape", self.name)

    def call(self, inputs):
        shape = compute_reshape_output_shape(inputs.shape[1:], self.target_shape, "target_shape", self.name)
        return inputs.reshape((inputs.shape[0],) + shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(_ShapeLayer):
    """Permutes the non-batch axes: `dims` is a permutation of 1..n (Keras 0.x: `dims=` keyword too)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self._axes = (0,) + self.dims

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return np.transpose(inputs, self._axes)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


def _positive_int_argument(value, name):
    """RepeatVector's and UpSampling1D's check: a Python int (TypeError otherwise), above 0 (ValueError)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"Expected an integer value for `{name}`, got {type(value)}.")
    if value <= 0:
        raise ValueError(f"Argument `{name}` should be a positive integer. Received: {name}={value}")
    return value


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""
    _plan_trusted = True

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int_argument(n, "n")
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return np.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class UpSampling1D(Layer):
    """Repeats each timestep `size` times."""
    _plan_trusted = True

    def __init__(self, size=2, **kwargs):
        if "length" in kwargs:  # Keras 1
            size = kwargs.pop("length")
        super().__init__(**kwargs)
        self.size = _positive_int_argument(size, "size")
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else self.size * input_shape[1]
        return (input_shape[0], length, input_shape[2])

    def call(self, inputs):
        return np.repeat(inputs, self.size, axis=1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Upsampling of the two spatial axes by `size`: nearest neighbour (repeat) or resizing with Keras's
    other interpolations."""
    _plan_trusted = True

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = interpolation.lower()
        if self.interpolation not in image_resizing.INTERPOLATIONS:
            raise ValueError(f"`interpolation` argument should be one of: {list(image_resizing.INTERPOLATIONS)}. "
                             f"Received: interpolation={interpolation!r}")
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        h_axis = 2 if self.data_format == "channels_first" else 1
        out = list(input_shape)
        for i, factor in zip((h_axis, h_axis + 1), self.size):
            out[i] = None if out[i] is None else out[i] * factor
        return tuple(out)

    def call(self, inputs):
        h_axis = 2 if self.data_format == "channels_first" else 1
        if self.interpolation != "nearest":  # Keras: ops.image.resize to size times the input
            return image_resizing.resize(inputs, inputs.shape[h_axis] * self.size[0],
                                         inputs.shape[h_axis + 1] * self.size[1], self.interpolation,
                                         height_axis=h_axis)
        out = np.repeat(inputs, self.size[0], axis=h_axis)
        return np.repeat(out, self.size[1], axis=h_axis + 1)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


_ORDINALS = ("1st", "2nd", "3rd")


def spatial_pairs(value, name, rank=2):
    """Keras's (before, after) per spatial axis of ZeroPadding2D/3D and Cropping2D/3D: an int, `rank` ints
    (symmetric) or `rank` pairs."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value),) * rank
    if hasattr(value, "__len__"):
        if len(value) != rank:
            raise ValueError(f"`{name}` should have {('two', 'three')[rank - 2]} elements. Received: {name}={value}.")
        return tuple(standardize_tuple(v, 2, f"{_ORDINALS[i]} entry of {name}", allow_zero=True)
                     for i, v in enumerate(value))
    raise ValueError(f"`{name}` should be either an int, a tuple of {rank} ints, or a tuple of {rank} tuples of 2 "
                     f"ints. Received: {name}={value}.")


class ZeroPadding1D(Layer):
    """Pads the time axis with zeros: `padding` = int or (before, after)."""
    _plan_trusted = True

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        if out[axis] is not None:
            out[axis] += sum(self.padding)
        return tuple(out)

    def call(self, inputs):
        pads = [(0, 0), (0, 0), self.padding] if self.data_format == "channels_first" \
            else [(0, 0), self.padding, (0, 0)]
        return np.pad(inputs, pads)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding2D(Layer):
    """Pads the two spatial axes with zeros: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    _plan_trusted = True

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = spatial_pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        first = 2 if self.data_format == "channels_first" else 1
        for i in range(2):
            if out[first + i] is not None:
                out[first + i] += sum(self.padding[i])
        return tuple(out)

    def call(self, inputs):
        pads = [(0, 0), (0, 0), *self.padding] if self.data_format == "channels_first" \
            else [(0, 0), *self.padding, (0, 0)]
        return np.pad(inputs, pads)

    def zero_pads(self):
        """The prediction plan's fusion protocol: ((top, bottom), (left, right)) when call() is this zero
        padding of a channels_last input (which a convolution after it may do itself), else None."""
        if type(self).call is not ZeroPadding2D.call or self.data_format != "channels_last":
            return None
        return tuple(tuple(int(p) for p in pair) for pair in self.padding)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(Layer):
    """Crops the time axis: `cropping` = int or (start, end)."""
    _plan_trusted = True

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def _check(self, shape):
        if shape[1] is not None and sum(self.cropping) >= shape[1]:
            raise ValueError(f"`cropping` parameter of `Cropping1D` layer '{self.name}' must be smaller than the "
                             f"input length. Received: input_shape={tuple(shape)}, cropping={self.cropping}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        length = None if input_shape[1] is None else input_shape[1] - sum(self.cropping)
        return (input_shape[0], length, input_shape[2])

    def call(self, inputs):
        self._check(inputs.shape)
        return inputs[:, self.cropping[0]:inputs.shape[1] - self.cropping[1], :]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """Crops the two spatial axes: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    _plan_trusted = True

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = spatial_pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)

    def _spatial(self, shape):
        first = 2 if self.data_format == "channels_first" else 1
        return first, shape[first], shape[first + 1]

    def _check(self, shape):
        _, h, w = self._spatial(shape)
        if (h is not None and sum(self.cropping[0]) >= h) or (w is not None and sum(self.cropping[1]) >= w):
            raise ValueError(f"Values in `cropping` argument of Cropping2D layer '{self.name}' should be smaller "
                             "than the corresponding spatial dimension of the input. Received: "
                             f"input_shape={tuple(shape)}, cropping={self.cropping}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        first, h, w = self._spatial(input_shape)
        out = list(input_shape)
        out[first] = None if h is None else h - sum(self.cropping[0])
        out[first + 1] = None if w is None else w - sum(self.cropping[1])
        return tuple(out)

    def call(self, inputs):
        self._check(inputs.shape)
        first, h, w = self._spatial(inputs.shape)
        (top, bottom), (left, right) = self.cropping
        index = [slice(None)] * 4
        index[first] = slice(top, h - bottom)
        index[first + 1] = slice(left, w - right)
        return inputs[tuple(index)]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
