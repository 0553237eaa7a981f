"""Windowed pooling layers (channels_last): MaxPooling1D/2D, AveragePooling1D/2D and Keras's aliases
MaxPool1D/2D, AvgPool1D/2D, over the compiled `_core.max_pool1d/2d`, `_core.avg_pool1d/2d` kernels.
Global pooling lives in pooling_global.py."""
import numpy as np

from nnkern import _core
from nnkern.engine.argument_validation import (channels_last_only, conv_output_length, standardize_padding,
                                               standardize_tuple)
from nnkern.engine.dtypes import standardize_dtype
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer

_FLOAT32 = np.dtype(np.float32)

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D",
           "AvgPool1D", "AvgPool2D"]


class _Pooling(Layer):
    """Keras's BasePooling: pool_size, strides (None: pool_size), padding 'valid' / 'same'."""

    _plan_trusted = True
    rank = 2
    # The last input shape whose output shape was checked: the same shape again skips the check.
    _checked_input_shape = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        cls = self.__class__.__name__
        # Keras 1 spellings: pool_length / stride (1-D), border_mode.
        pool_size = kwargs.pop("pool_length", pool_size)
        strides = kwargs.pop("stride", strides)
        padding = kwargs.pop("border_mode", padding)
        super().__init__(name=name, **kwargs)
        try:
            self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size")
            self.strides = self.pool_size if strides is None else standardize_tuple(strides, self.rank, "strides")
        except ValueError as e:
            raise ValueError(f"{cls}: {e}") from None
        self.padding = standardize_padding(padding, cls)
        self.data_format = channels_last_only(data_format, cls)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        # The kernel and its arguments after x, fixed once.
        object.__setattr__(self, "_kernel_fn", self._kernel_1d if self.rank == 1 else self._kernel_2d)
        object.__setattr__(self, "_kernel_args", (self.pool_size, self.strides, self.padding) if self.rank == 2
                           else (self.pool_size[0], self.strides[0], self.padding))

    def compute_output_shape(self, input_shape):
        spatial = tuple(conv_output_length(n, p, s, self.padding) for n, p, s in
                        zip(input_shape[1:-1], self.pool_size, self.strides))
        if any(d is not None and d < 1 for d in spatial):
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': computed output size would be zero "
                             f"or negative. Received input shape {tuple(input_shape)}, pool_size={self.pool_size}, "
                             f"strides={self.strides}, padding={self.padding!r}.")
        return (input_shape[0],) + spatial + (input_shape[-1],)

    def call(self, inputs):
        if inputs.shape != self._checked_input_shape:
            out_shape = self.compute_output_shape(inputs.shape)
            if 0 in out_shape:  # batch 0
                return np.zeros(out_shape, self._output_dtype(inputs.dtype))
            object.__setattr__(self, "_checked_input_shape", inputs.shape)
        try:  # run_kernel inlined: this is the per-call path
            y = self._kernel_fn(inputs, *self._kernel_args)
        except ValueError as e:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': {e}") from None
        if inputs.dtype is _FLOAT32:
            return y
        dtype = self._output_dtype(inputs.dtype)
        return y if dtype == np.float32 else y.astype(dtype)

    def _output_dtype(self, input_dtype):
        return np.dtype(np.float32)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape),
                           dtype=standardize_dtype(self._output_dtype(np.dtype(inputs.dtype))))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class _MaxPooling(_Pooling):
    _kernel_1d = staticmethod(_core.max_pool1d)
    _kernel_2d = staticmethod(_core.max_pool2d)

    def _output_dtype(self, input_dtype):
        # Keras keeps an integer input's dtype (the float32 kernel is exact for |values| < 2**24).
        return input_dtype if input_dtype.kind in "iu" else np.dtype(np.float32)


class _AveragePooling(_Pooling):
    # 'same' windows average over the in-bounds values only, as Keras does.
    _kernel_1d = staticmethod(_core.avg_pool1d)
    _kernel_2d = staticmethod(_core.avg_pool2d)


class MaxPooling1D(_MaxPooling):
    """Maximum over windows of the steps axis of (batch, steps, channels)."""
    rank = 1


class MaxPooling2D(_MaxPooling):
    """Maximum over windows of the spatial axes of (batch, height, width, channels)."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling1D(_AveragePooling):
    """Mean over windows of the steps axis of (batch, steps, channels)."""
    rank = 1


class AveragePooling2D(_AveragePooling):
    """Mean over windows of the spatial axes of (batch, height, width, channels)."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


# Keras's aliases.
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
