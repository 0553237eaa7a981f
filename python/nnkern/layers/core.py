"""Core layers: InputLayer/Input, Dense, Activation, Lambda, Embedding, Masking, Identity."""
import codecs
import inspect
import marshal
import types
import warnings

import numpy as np

from nnkern import _core, activations
from nnkern.engine import tree
from nnkern.engine.argument_validation import positive_int
from nnkern.engine.input_layer import Input, InputLayer
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.spec_inference import run_for_spec
from nnkern.layers import keras2_modules
from nnkern.layers.kernel_calls import fold_channel_affine
from nnkern.layers.legacy import translate_dense_kwargs

_INT32 = np.dtype(np.int32)

__all__ = ["Input", "InputLayer", "Dense", "Activation", "Lambda", "Embedding", "Masking", "Identity"]


def _positive_int(value, arg, layer):
    return positive_int(value, f"Received an invalid value for `{arg}` of {layer}, expected a positive integer. "
                               f"Received: {arg}={value}")


class Dense(Layer):
    """activation(inputs @ kernel + bias) on the last axis; kernel (input_dim, units), bias (units,).

    Keras 1/2 spellings `Dense(output_dim, init=..., input_dim=..., weights=[W, b])` are accepted."""

    _plan_trusted = True

    def __init__(self, units=None, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        units, kernel_initializer, use_bias, kernel_regularizer, bias_regularizer, kernel_constraint, \
            bias_constraint = translate_dense_kwargs(kwargs, units, kernel_initializer, use_bias,
                                                     kernel_regularizer, bias_regularizer, kernel_constraint,
                                                     bias_constraint)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = _positive_int(units, "units", "Dense")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self._set_weight_arguments("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self._set_weight_arguments("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.lora_rank = lora_rank
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense layer '{self.name}': the last axis of the input must be known, got input "
                             f"shape {tuple(input_shape)}")
        self._kernel = self._add_weight_from_arguments("kernel", (input_dim, self.units))
        self.bias = self._add_weight_from_arguments("bias", (self.units,)) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        # The live buffers and the kernel's activation name, looked up once for call().
        object.__setattr__(self, "_w", self._kernel.value)
        object.__setattr__(self, "_b", None if self.bias is None else self.bias.value)
        object.__setattr__(self, "_fused", activations.fused_name(self.activation))
        self.built = True

    @property
    def kernel(self):
        return self._kernel

    def call(self, inputs, training=None):
        fused = self._fused
        if inputs.ndim == 2:
            y = _core.dense(inputs, self._w, self._b, fused or "linear")
        else:
            shape = inputs.shape
            if shape[-1] != self._w.shape[0]:
                raise ValueError(f"Dense layer '{self.name}': expected the last input axis to be "
                                 f"{self._w.shape[0]}, got input shape {shape}")
            y = _core.dense(inputs.reshape(-1, shape[-1]), self._w, self._b, fused or "linear")
            y = y.reshape(shape[:-1] + (self.units,))
        if fused is None:
            y = self.activation(y)
            if getattr(y, "dtype", None) != np.float32:
                y = np.asarray(y, dtype=np.float32)
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def fold_channel_affine(self, scale, shift, activation):
        """The prediction plan's fusion protocol (see BaseConv.fold_channel_affine): 2-D inputs only."""
        if type(self).call is not Dense.call or self._fused != "linear" or self._w.dtype != np.float32:
            return None
        w, b = fold_channel_affine(self._w, self._b, scale, shift)

        def folded(x):
            if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != w.shape[0]:
                return None
            return _core.dense(x, w, b, activation)
        return folded

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._weight_arguments_config("kernel", "bias"),
            "quantization_config": None,
        })
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
        return config


class Activation(Layer):
    """Applies an activation (a Keras name or a callable) element-wise."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        self._plan_trusted = activations.fused_name(self.activation) is not None
        self.built = True

    def kernel_activation(self):
        """The prediction plan's fusion protocol: the kernel activation name this layer computes on float32
        input (None for a user function or a subclass's call)."""
        return activations.fused_name(self.activation) if type(self).call is Activation.call else None

    def call(self, inputs):
        if inputs.dtype.kind in "iub":
            name = activations.fused_name(self.activation)
            if name == "linear":
                return inputs
            if name == "relu":  # integer relu stays integer, as in Keras
                return np.maximum(inputs, 0).astype(inputs.dtype)
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged."""
    _plan_trusted = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return tree.map_structure(lambda x: KerasTensor(x.shape, dtype=x.dtype), inputs)


def _function_args(fn):
    try:
        return inspect.getfullargspec(fn).args
    except TypeError:  # numpy ufuncs and other builtins
        return []


class Lambda(Layer):
    """Wraps any Python function of arrays (numpy or nnkern.ops). Without `output_shape`, the output
    shape is found by running the function on zero arrays of the input's shape."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.arguments = arguments or {}
        self.function = function
        self.supports_masking = mask is not None
        self.mask = mask
        if isinstance(output_shape, list) and all(isinstance(d, (int, type(None))) for d in output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        args = _function_args(function)
        self._fn_expects_training_arg = "training" in args
        self._fn_expects_mask_arg = "mask" in args

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            inputs = tree.map_shape_structure(lambda s: KerasTensor(s, dtype=self.compute_dtype), input_shape)
            spec = run_for_spec(lambda x: self.call(x), inputs, f"Lambda layer '{self.name}'")
            return tree.map_structure(lambda t: t.shape, spec)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = tree.flatten(input_shape)[0] if input_shape else None
        return tree.map_shape_structure(lambda s: (batch,) + tuple(s), self._output_shape)

    def compute_output_spec(self, inputs, mask=None, training=None):
        if self._output_shape is None:
            spec = run_for_spec(lambda x: self.call(x), tree.map_structure(
                lambda t: KerasTensor(t.shape, dtype=self.compute_dtype) if isinstance(t, KerasTensor) else t,
                inputs), f"Lambda layer '{self.name}'")
            return tree.map_structure(lambda t: KerasTensor(t.shape, dtype=self.compute_dtype), spec)
        return super().compute_output_spec(inputs)

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = {"function": _serialize_function(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_serialize_function(self._output_shape) if callable(self._output_shape)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = _serialize_function(self.mask) if callable(self.mask) else _serialize_value(self.mask)
        config["arguments"] = _serialize_value(self.arguments)
        return {**super().get_config(), **config}


def _serialize_function(fn):
    """A callable as Keras 3's Lambda config stores it: a Python lambda as its marshalled bytecode (base64,
    as keras.src.utils.python_utils.func_dump), a named function as a reference by name."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = codecs.encode(marshal.dumps(fn.__code__), "base64").decode("ascii")
        closure = tuple(_serialize_value(cell.cell_contents) for cell in fn.__closure__) if fn.__closure__ \
            else None
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}
    if isinstance(fn, types.FunctionType):
        # Keras 3 writes every plain function this way (module "builtins"); loading looks the name up.
        return {"module": "builtins", "class_name": "function", "config": fn.__name__,
                "registered_name": "function"}
    if callable(fn) and hasattr(fn, "__name__"):
        # numpy ufuncs and C builtins (Keras cannot serialize these): name them with their module.
        module = getattr(fn, "__module__", None) or type(fn).__module__
        return {"module": module, "class_name": "function", "config": fn.__name__, "registered_name": None}
    raise ValueError(f"Invalid input type for serialization. Received: {fn} of type {type(fn)}.")


def _serialize_value(value):
    """Plain config values as Keras's serialize_keras_object writes them (numpy arrays as __numpy__)."""
    if isinstance(value, dict):
        return {key: _serialize_value(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_serialize_value(v) for v in value)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, (np.generic, np.ndarray)):
        return value.item()
    if isinstance(value, types.ModuleType):  # e.g. a lambda's closure over `keras` / `K`
        return {"module": "builtins", "class_name": "module", "config": value.__name__, "registered_name": "module"}
    return value


class Embedding(Layer):
    """Looks up rows of an (input_dim, output_dim) table for integer indices; `mask_zero=True` masks index 0."""

    _plan_trusted = True
    _symbolic_compute_mask = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value} "
                                 f"(of type {type(value).__name__}).")
        if "init" in kwargs:  # Keras 1
            embeddings_initializer = kwargs.pop("init")
        if kwargs.get("input_length") is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self._set_weight_arguments("embeddings", embeddings_initializer, embeddings_regularizer, embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self._add_weight_from_arguments("embeddings", (self.input_dim, self.output_dim))
        object.__setattr__(self, "_table", self._embeddings.value)
        self.built = True

    @property
    def embeddings(self):
        if not self.built:
            raise AttributeError("You must build the layer before accessing `embeddings`.")
        return self._embeddings

    def call(self, inputs):
        dtype = inputs.dtype
        if dtype is not _INT32 and dtype.kind not in "iu":
            if dtype.kind not in "fb":  # '3' would become index 3: text is refused, not parsed
                raise TypeError(f"Embedding layer '{self.name}' expects integer indices, but received an array "
                                f"of dtype {dtype}.")
            inputs = inputs.astype(np.int32)
        if inputs.dtype == _INT32:
            # One pass instead of min() + max() + take(): seen as uint32 a negative index is >= 2**31, so
            # take()'s own bounds check catches both ends.
            try:
                return np.take(self._table, inputs.view(np.uint32), axis=0)
            except IndexError:
                pass
        elif inputs.size == 0 or (inputs.min() >= 0 and inputs.max() < self.input_dim):
            return np.take(self._table, inputs, axis=0)
        lo, hi = inputs.min(), inputs.max()
        bad = lo if lo < 0 else hi
        raise ValueError(f"Embedding layer '{self.name}': index {bad} is out of range; indices must be in "
                         f"[0, {self.input_dim}) (input_dim={self.input_dim}), input shape {inputs.shape}")

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        if isinstance(inputs, KerasTensor):  # a graph node, as Keras's ops.not_equal on a KerasTensor
            from nnkern.engine import symbolic_ops  # here: the op classes are needed only for these nodes
            return symbolic_ops.not_equal(inputs, 0)
        return np.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                **self._weight_arguments_config("embeddings", activity_regularizer=True), "mask_zero": self.mask_zero,
                "quantization_config": None}


class Masking(Layer):
    """Zeroes the timesteps whose features all equal `mask_value` and masks them for later layers."""

    _plan_trusted = True
    _symbolic_compute_mask = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if isinstance(inputs, KerasTensor):  # graph nodes, as Keras's ops on a KerasTensor
            from nnkern.engine import symbolic_ops  # here: the op classes are needed only for these nodes
            return symbolic_ops.any(symbolic_ops.not_equal(inputs, self.mask_value), axis=-1)
        return np.any(np.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = np.any(np.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return np.where(keep, inputs, 0).astype(inputs.dtype, copy=False)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


# Keras 1/2's keras.layers.core held more layers than this module (see keras2_modules): old code's
# `from keras.layers.core import *` brings them from the package.
__getattr__ = keras2_modules.package_attribute
__all__ = keras2_modules.all_names(__name__, __all__)
