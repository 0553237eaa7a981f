"""Keras 1/2 spellings that old tutorials use, mapped onto the Keras 3 layers.

- `merge(inputs, mode='sum'|'mul'|'concat'|'ave'|'max'|'dot'|'cos'|callable, concat_axis=-1, dot_axes=-1,
  output_shape=None)`: the matching merge layer (a callable mode becomes a Lambda over the list).
- `TimeDistributedDense(units, ..., input_dim=None, input_length=None)`: TimeDistributed(Dense(...)).
- `TimeDistributedMerge(mode='sum'|'mul'|'ave')`: reduces the time axis (axis 1).
- Dense's Keras 1 keywords (`output_dim`, `init`, `bias`, `W_regularizer`, ...) via `translate_dense_kwargs`;
  `Reshape(dims=...)`, `Permute(dims=...)` and `Model(input=..., output=...)` live with those classes.
- Convolution keywords (`nb_filter`, `border_mode`, `subsample`, ...) via `translate_conv_kwargs`, and
  `input_dim=`/`input_length=` of sequence layers via `translate_sequence_input_kwargs`.
"""
import numpy as np

from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer

__all__ = ["merge", "TimeDistributedDense", "TimeDistributedMerge"]


def translate_dense_kwargs(kwargs, units, kernel_initializer, use_bias, kernel_regularizer, bias_regularizer,
                           kernel_constraint, bias_constraint):
    """Pop Keras 1 Dense keywords from kwargs and return the Keras 3 values they stand for."""
    if "output_dim" in kwargs:
        units = kwargs.pop("output_dim") if units is None else units
    if "init" in kwargs:
        kernel_initializer = kwargs.pop("init")
    if "bias" in kwargs:
        use_bias = bool(kwargs.pop("bias"))
    kernel_regularizer = kwargs.pop("W_regularizer", kernel_regularizer)
    bias_regularizer = kwargs.pop("b_regularizer", bias_regularizer)
    kernel_constraint = kwargs.pop("W_constraint", kernel_constraint)
    bias_constraint = kwargs.pop("b_constraint", bias_constraint)
    return units, kernel_initializer, use_bias, kernel_regularizer, bias_regularizer, kernel_constraint, \
        bias_constraint


def translate_sequence_input_kwargs(kwargs):
    """Keras 1/2 sequence layers (LSTM, Conv1D) took `input_dim=features, input_length=steps` for
    input_shape=(steps, features); rewrite them in kwargs so the base Layer sees `input_shape`."""
    if "input_dim" in kwargs and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
        kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))


def translate_conv_kwargs(kwargs, layer, rank, values):
    """Pop Keras 1 convolution keywords (`nb_filter`, `nb_row`/`nb_col`, `kernel_dim1/2/3`, `filter_length`, `subsample`,
    `subsample_length`, `border_mode`, `init`, `bias`, `W_/b_regularizer`, `W_/b_constraint`,
    `dim_ordering`) from kwargs; return `values` (the Keras 3 arguments) updated with what they stand for."""
    values = dict(values)
    if "nb_filter" in kwargs:
        values["filters"] = kwargs.pop("nb_filter")
    if "filter_length" in kwargs:
        values["kernel_size"] = kwargs.pop("filter_length")
    if "nb_row" in kwargs or "nb_col" in kwargs:
        values["kernel_size"] = (kwargs.pop("nb_row", None), kwargs.pop("nb_col", None))
    if "kernel_dim1" in kwargs:  # Keras 1's Convolution3D
        values["kernel_size"] = tuple(kwargs.pop(f"kernel_dim{i}", None) for i in (1, 2, 3))
    for old in ("subsample", "subsample_length"):
        if old in kwargs:
            values["strides"] = kwargs.pop(old)
    if "border_mode" in kwargs:
        values["padding"] = kwargs.pop("border_mode")
    if "init" in kwargs:
        values["kernel_initializer"] = kwargs.pop("init")
    if "bias" in kwargs:
        values["use_bias"] = bool(kwargs.pop("bias"))
    for old, new in (("W_regularizer", "kernel_regularizer"), ("b_regularizer", "bias_regularizer"),
                     ("W_constraint", "kernel_constraint"), ("b_constraint", "bias_constraint")):
        if old in kwargs:
            values[new] = kwargs.pop(old)
    ordering = kwargs.pop("dim_ordering", "tf")
    if ordering not in ("tf", "default"):
        raise ValueError(f"{layer}: dim_ordering={ordering!r} (channels first) is not supported by nnkern; "
                         "only 'tf' (channels_last) data")
    return values


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
          node_indices=None, tensor_indices=None, name=None):
    """Keras 1's functional merge: combine a list of tensors (symbolic or arrays) by `mode`."""
    from nnkern.layers import core, merging

    kwargs = {"name": name} if name else {}
    if callable(mode):
        return core.Lambda(mode, output_shape=output_shape, mask=output_mask, arguments=arguments,
                           **kwargs)(list(inputs))
    layers = {"sum": merging.Add, "mul": merging.Multiply, "ave": merging.Average, "max": merging.Maximum,
              "min": merging.Minimum}
    if mode in layers:
        return layers[mode](**kwargs)(list(inputs))
    if mode == "concat":
        return merging.Concatenate(axis=concat_axis, **kwargs)(list(inputs))
    if mode in ("dot", "cos"):
        axes = dot_axes if not isinstance(dot_axes, list) else tuple(dot_axes)
        return merging.Dot(axes=axes, normalize=(mode == "cos"), **kwargs)(list(inputs))
    raise ValueError(f"merge: invalid mode {mode!r}; expected 'sum', 'mul', 'concat', 'ave', 'max', 'min', "
                     "'dot', 'cos' or a callable")


def TimeDistributedDense(units=None, activation=None, input_dim=None, input_length=None, name=None, **dense_kwargs):
    """Keras 1's TimeDistributedDense: the same Dense applied to every timestep of (batch, time, features)."""
    from nnkern.layers.core import Dense
    from nnkern.layers.wrappers import TimeDistributed

    if units is None:
        units = dense_kwargs.pop("output_dim", None)
    wrapper_kwargs = {"name": name} if name else {}
    if input_dim is not None:
        wrapper_kwargs["batch_input_shape"] = (None, input_length, input_dim)
    for key in ("input_shape", "batch_input_shape"):
        if key in dense_kwargs:
            wrapper_kwargs[key] = dense_kwargs.pop(key)
    return TimeDistributed(Dense(units, activation=activation, **dense_kwargs), **wrapper_kwargs)


class TimeDistributedMerge(Layer):
    """Keras 1: merge the timesteps of (batch, time, ...) by 'sum', 'mul' or 'ave' -> (batch, ...)."""

    _plan_trusted = True
    _REDUCERS = {"sum": np.sum, "mul": np.prod, "ave": np.mean}

    def __init__(self, mode="sum", **kwargs):
        super().__init__(**kwargs)
        if mode not in self._REDUCERS:
            raise ValueError(f"TimeDistributedMerge: invalid mode {mode!r}; expected 'sum', 'mul' or 'ave'")
        self.mode = mode
        self.input_spec = InputSpec(min_ndim=3)
        self.built = True

    def call(self, inputs):
        out = self._REDUCERS[self.mode](inputs, axis=1)
        if self.mode == "ave" or out.dtype.kind == "f":
            out = out.astype(np.float32)
        return out

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
