"""InputLayer and Input(): the entry points of a functional graph."""
import warnings

from nnkern.engine.dtypes import standardize_dtype
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.node import Node


def standardize_shape(shape):
    if shape is None:
        raise ValueError("Undefined shapes are not supported.")
    if isinstance(shape, int) and not isinstance(shape, bool):
        return (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"Cannot convert '{shape}' to a shape.") from None
    out = []
    for d in shape:
        if d is None:
            out.append(None)
            continue
        if isinstance(d, bool) or not hasattr(d, "__index__"):
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid entry '{d}' of type "
                             f"'{type(d)}'.")
        d = int(d)
        if d < 0:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Negative dimensions are not allowed.")
        out.append(d)
    return tuple(out)


class InputLayer(Layer):
    _plan_trusted = True

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.")
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to InputLayer: {kwargs}")
        super().__init__(name=name)
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError("Argument `input_tensor` must be a KerasTensor. Received invalid type: "
                                 f"input_tensor={input_tensor} (of type {type(input_tensor)})")
            batch_shape = input_tensor.shape
            dtype = input_tensor.dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
            if batch_size is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same time.")
            if shape is None and batch_shape is None:
                raise ValueError("You must pass a `shape` argument.")
            if shape is not None:
                batch_shape = (batch_size,) + standardize_shape(shape)
        self._batch_shape = standardize_shape(batch_shape)
        self._dtype = standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, dtype=self._dtype, name=name)
        self._input_tensor = input_tensor
        Node(self, (), {}, input_tensor)
        self.built = True
        self.optional = optional

    def call(self):
        return None

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def dtype(self):
        return self._dtype

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": self.sparse,
                "ragged": self.ragged, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input tensor of per-sample `shape` (an int or a tuple; the batch axis is implied).

    `dtype` as Keras: 'float32' by default, 'int32', ...; 'float' means 'float32'."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, ragged=ragged,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, optional=optional)
    return layer.output
