"""The bases of the pooling layers (as Keras's base_pooling.py and base_global_pooling.py): window pooling
over the compiled kernels, and global pooling over every spatial axis."""
import numpy as np

from nnkern.engine.argument_validation import (channels_last_only, conv_output_length, standardize_data_format,
                                               standardize_padding, standardize_tuple)
from nnkern.engine.dtypes import standardize_dtype
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer

_FLOAT32 = np.dtype(np.float32)


class BasePooling(Layer):
    """Keras's BasePooling: pool_size, strides (None: pool_size), padding 'valid' / 'same', channels_last.

    A pooling layer is a subclass naming its rank and compiled kernel (1-D kernels take scalar window
    arguments, 2-D and 3-D kernels tuples):

        class MaxPooling2D(BasePooling):
            rank = 2
            kernel_fn = staticmethod(_core.max_pool2d)
            keeps_integer_dtype = True
    """

    _plan_trusted = True
    rank = None
    kernel_fn = None
    # Whether an integer input keeps its dtype (max pooling: the float32 kernel is exact for |values| < 2**24,
    # as Keras keeps it); other inputs give float32.
    keeps_integer_dtype = False
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
        self.built = True  # nothing to build: as in Keras, no build_config is written for it
        # The kernel's arguments after x, fixed once.
        object.__setattr__(self, "_kernel_args", (self.pool_size, self.strides, self.padding) if self.rank > 1
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
            y = self.kernel_fn(inputs, *self._kernel_args)
        except ValueError as e:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': {e}") from None
        if inputs.dtype is _FLOAT32:
            return y
        dtype = self._output_dtype(inputs.dtype)
        return y if dtype == np.float32 else y.astype(dtype)

    def _output_dtype(self, input_dtype):
        return input_dtype if self.keeps_integer_dtype and input_dtype.kind in "iu" else _FLOAT32

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape),
                           dtype=standardize_dtype(self._output_dtype(np.dtype(inputs.dtype))))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class BaseGlobalPooling(Layer):
    """Keras's BaseGlobalPooling: a reduction over every spatial axis (`rank` of them), data_format and
    keepdims. A global pooling layer is a subclass naming its rank and writing call()."""

    _plan_trusted = True
    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        first = 2 if self.data_format == "channels_first" else 1
        self._axes = tuple(range(first, first + self.rank))
        self.built = True

    def compute_output_shape(self, input_shape):
        spatial = len(input_shape) - 2
        if self.data_format == "channels_last":
            if self.keepdims:
                return (input_shape[0],) + (1,) * spatial + (input_shape[-1],)
            return (input_shape[0], input_shape[-1])
        if self.keepdims:
            return (input_shape[0], input_shape[1]) + (1,) * spatial
        return (input_shape[0], input_shape[1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
