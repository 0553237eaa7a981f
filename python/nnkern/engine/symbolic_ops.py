"""keras.ops on KerasTensors: operation nodes of a functional graph (Keras's `Add`, `GetItem`, `Mean`, ...).

As in Keras 3, an op called on a symbolic tensor (`ops.mean(x, axis=1)`, `x * 2.0`, `x[:, 1:4]`) records
a node of an Operation class named as Keras names it (module `keras.src.ops.numpy`, `.nn`, `.core`,
`.math`, `.linalg`). The op's constructor arguments are its config (`{"name", "axis", "keepdims"}`); the
other arguments, tensors and constants alike, are the node's call arguments. The node appears in the
model's operations and summary but not in `model.layers`; it has no weights. Running it calls the
`nnkern.ops` function of the same name, so results follow Keras's dtype rules.

OPERATIONS (Keras class name -> class) is the only place a file's op node is resolved from, by module
and name (engine.registry), in safe mode too.
"""
import inspect

from nnkern.engine.dtypes import standardize_dtype
from nnkern.engine.layer import Layer
from nnkern.engine.node import Node

_NUMPY = "keras.src.ops.numpy"
_NN = "keras.src.ops.nn"
_CORE = "keras.src.ops.core"
_MATH = "keras.src.ops.math"
_LINALG = "keras.src.ops.linalg"


class Operation(Layer):
    """A stateless function node (excluded from `model.layers`). Subclasses set `function_name` (the
    nnkern.ops function computing it), `config_arguments` (the arguments of that function Keras's class
    takes in its constructor, in order) and `call_keywords` (arguments Keras passes to the call by
    keyword); the function's other arguments are call arguments, passed positionally."""
    _is_operation = True
    _keras_module = _NUMPY
    function_name = None
    config_arguments = ()
    call_keywords = ()
    not_in_keras = ()

    def __init__(self, name=None, **config):
        super().__init__(name=name, autocast=False)  # Keras's ops do not autocast
        cls = type(self)
        unknown = sorted(set(config) - set(cls.config_arguments))
        if unknown:
            raise TypeError(f"{cls.__name__}: unexpected argument(s) {unknown}; the op takes "
                            f"{list(cls.config_arguments) + ['name']}.")
        parameters = cls.signature().parameters
        missing = [k for k in cls.config_arguments
                   if k not in config and parameters[k].default is inspect.Parameter.empty]
        if missing:
            raise TypeError(f"{cls.__name__}: missing required argument(s) {missing}.")
        self.options = {k: config[k] if k in config else parameters[k].default for k in cls.config_arguments}
        if self.options.get("dtype") is not None:
            self.options["dtype"] = standardize_dtype(self.options["dtype"])
        self.built = True

    @classmethod
    def function(cls):
        """The function computing the op (nnkern.ops is imported on first use: `import nnkern` stays fast)."""
        found = cls.__dict__.get("_function")
        if found is None:
            if cls.function_name is None:
                found = _getitem
            else:
                from nnkern import ops
                found = getattr(ops, cls.function_name)
            cls._function = found
            cls._signature = inspect.signature(found)
        return found

    @classmethod
    def signature(cls):
        cls.function()
        return cls._signature

    def _eager_call(self, args, kwargs):
        return self.call(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        try:
            return super().compute_output_spec(*args, **kwargs)
        except ValueError as e:
            # Keep the op's own error (it names the op and what it got), not the custom-layer advice.
            cause = e.__cause__ if isinstance(e.__cause__, (ValueError, TypeError, IndexError)) else e
            shapes = [getattr(a, "shape", a) for a in args]
            raise type(cause)(f"{type(self).__name__} op '{self.name}' on symbolic inputs {shapes}: "
                              f"{cause}") from None

    def _symbolic_call(self, args, kwargs):
        # Keras's Operation.symbolic_call: infer the output, record the node; no masks, no autocast.
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def call(self, *args, **kwargs):
        positional, keywords, values = [], dict(kwargs), list(args)
        for p in self.signature().parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                positional.extend(values)
                values = []
                continue
            if p.kind is p.VAR_KEYWORD:
                continue
            if p.name in self.options:
                value = self.options[p.name]
            elif values:
                value = values.pop(0)
            elif p.name in keywords:
                value = keywords.pop(p.name)
            else:
                value = p.default
            if p.kind is p.KEYWORD_ONLY:
                keywords[p.name] = value
            else:
                positional.append(value)
        if values:
            raise TypeError(f"{type(self).__name__} '{self.name}': {len(args)} call arguments given, "
                            f"{len(args) - len(values)} expected.")
        return self.function()(*positional, **keywords)

    def get_config(self):
        return {"name": self.name, **self.options}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


def _getitem(x, key):
    """GetItem: x[key]. A key read from a file is a list (JSON); Keras indexes with it as a tuple."""
    return x[tuple(key) if isinstance(key, list) else key]


# (Keras class, module, the nnkern.ops function computing it, constructor arguments[, call keywords]).
# Modules, constructor and call arguments are checked against Keras's classes by
# tests/models/test_symbolic_ops_golden.py.
_TABLE = [
    ("Cast", _CORE, "cast", ("dtype",)),
    ("ConvertToTensor", _CORE, "convert_to_tensor", ("dtype", "sparse", "ragged")),
    ("Slice", _CORE, "slice", ("shape",)),
    ("SliceUpdate", _CORE, "slice_update", ()),
    ("Unstack", _CORE, "unstack", ("num", "axis")),
    ("Norm", _LINALG, "norm", ("ord", "axis", "keepdims")),
    ("Erf", _MATH, "erf", ()),
    ("InTopK", _MATH, "in_top_k", ("k",)),
    ("Logsumexp", _MATH, "logsumexp", ("axis", "keepdims")),
    ("TopK", _MATH, "top_k", ("k", "sorted")),
    ("AveragePool", _NN, "average_pool", ("pool_size", "strides", "padding", "data_format")),
    ("BinaryCrossentropy", _NN, "binary_crossentropy", ("from_logits",)),
    ("CategoricalCrossentropy", _NN, "categorical_crossentropy", ("from_logits", "axis")),
    ("Conv", _NN, "conv", ("strides", "padding", "data_format", "dilation_rate")),
    ("ConvTranspose", _NN, "conv_transpose",
     ("strides", "padding", "output_padding", "data_format", "dilation_rate")),
    ("DepthwiseConv", _NN, "depthwise_conv", ("strides", "padding", "data_format", "dilation_rate")),
    ("Elu", _NN, "elu", ("alpha",)),
    ("Gelu", _NN, "gelu", ("approximate",)),
    ("HardSigmoid", _NN, "hard_sigmoid", ()),
    ("HardSilu", _NN, "hard_silu", ()),
    ("LeakyRelu", _NN, "leaky_relu", ("negative_slope",)),
    ("LogSigmoid", _NN, "log_sigmoid", ()),
    ("LogSoftmax", _NN, "log_softmax", ("axis",)),
    ("MaxPool", _NN, "max_pool", ("pool_size", "strides", "padding", "data_format")),
    ("Normalize", _NN, "normalize", ("axis", "order", "epsilon")),
    ("OneHot", _NN, "one_hot", ("num_classes", "axis", "dtype", "sparse")),
    ("Relu", _NN, "relu", ()),
    ("Relu6", _NN, "relu6", ()),
    ("Selu", _NN, "selu", ()),
    ("Sigmoid", _NN, "sigmoid", ()),
    ("Silu", _NN, "silu", ()),
    ("Softmax", _NN, "softmax", ("axis",)),
    ("Softplus", _NN, "softplus", ()),
    ("Softsign", _NN, "softsign", ()),
    ("SparseCategoricalCrossentropy", _NN, "sparse_categorical_crossentropy", ("from_logits", "axis")),
    ("Absolute", _NUMPY, "absolute", ()),
    ("Add", _NUMPY, "add", ()),
    ("All", _NUMPY, "all", ("axis", "keepdims")),
    ("Amax", _NUMPY, "amax", ("axis", "keepdims")),
    ("Amin", _NUMPY, "amin", ("axis", "keepdims")),
    ("Any", _NUMPY, "any", ("axis", "keepdims")),
    ("Arccos", _NUMPY, "arccos", ()),
    ("Arcsin", _NUMPY, "arcsin", ()),
    ("Arctan", _NUMPY, "arctan", ()),
    ("Arctan2", _NUMPY, "arctan2", ()),
    ("Argmax", _NUMPY, "argmax", ("axis", "keepdims")),
    ("Argmin", _NUMPY, "argmin", ("axis", "keepdims")),
    ("Argsort", _NUMPY, "argsort", ("axis",)),
    ("BroadcastTo", _NUMPY, "broadcast_to", ("shape",)),
    ("Ceil", _NUMPY, "ceil", ()),
    ("Clip", _NUMPY, "clip", ("x_min", "x_max")),
    ("Concatenate", _NUMPY, "concatenate", ("axis",)),
    ("Conjugate", _NUMPY, "conj", ()),
    ("Cos", _NUMPY, "cos", ()),
    ("Cosh", _NUMPY, "cosh", ()),
    ("CountNonzero", _NUMPY, "count_nonzero", ("axis",)),
    ("Cumprod", _NUMPY, "cumprod", ("axis", "dtype")),
    ("Cumsum", _NUMPY, "cumsum", ("axis", "dtype")),
    ("Divide", _NUMPY, "divide", ()),
    ("Dot", _NUMPY, "dot", ()),
    ("Einsum", _NUMPY, "einsum", ("subscripts",)),
    ("Equal", _NUMPY, "equal", ()),
    ("Exp", _NUMPY, "exp", ()),
    ("ExpandDims", _NUMPY, "expand_dims", ("axis",)),
    ("Expm1", _NUMPY, "expm1", ()),
    ("Flip", _NUMPY, "flip", ("axis",)),
    ("Floor", _NUMPY, "floor", ()),
    ("FloorDivide", _NUMPY, "floor_divide", ()),
    ("FullLike", _NUMPY, "full_like", ("dtype",)),
    ("GetItem", _NUMPY, None, ()),
    ("Greater", _NUMPY, "greater", ()),
    ("GreaterEqual", _NUMPY, "greater_equal", ()),
    ("Isfinite", _NUMPY, "isfinite", ()),
    ("Isinf", _NUMPY, "isinf", ()),
    ("Isnan", _NUMPY, "isnan", ()),
    ("Less", _NUMPY, "less", ()),
    ("LessEqual", _NUMPY, "less_equal", ()),
    ("Log", _NUMPY, "log", ()),
    ("Log10", _NUMPY, "log10", ()),
    ("Log1p", _NUMPY, "log1p", ()),
    ("Log2", _NUMPY, "log2", ()),
    ("LogicalAnd", _NUMPY, "logical_and", ()),
    ("LogicalNot", _NUMPY, "logical_not", ()),
    ("LogicalOr", _NUMPY, "logical_or", ()),
    ("LogicalXor", _NUMPY, "logical_xor", ()),
    ("Matmul", _NUMPY, "matmul", ()),
    ("Max", _NUMPY, "max", ("axis", "keepdims", "initial")),
    ("Maximum", _NUMPY, "maximum", ()),
    ("Mean", _NUMPY, "mean", ("axis", "keepdims")),
    ("Min", _NUMPY, "min", ("axis", "keepdims", "initial")),
    ("Minimum", _NUMPY, "minimum", ()),
    ("Mod", _NUMPY, "mod", ()),
    ("Moveaxis", _NUMPY, "moveaxis", ("source", "destination")),
    ("Multiply", _NUMPY, "multiply", ()),
    ("Negative", _NUMPY, "negative", ()),
    ("NotEqual", _NUMPY, "not_equal", ()),
    ("OnesLike", _NUMPY, "ones_like", ("dtype",)),
    ("Outer", _NUMPY, "outer", ()),
    ("Pad", _NUMPY, "pad", ("pad_width", "mode"), ("constant_values",)),
    ("Power", _NUMPY, "power", ()),
    ("Prod", _NUMPY, "prod", ("axis", "keepdims", "dtype")),
    ("Ravel", _NUMPY, "ravel", ()),
    ("Reciprocal", _NUMPY, "reciprocal", ()),
    ("Repeat", _NUMPY, "repeat", ("repeats", "axis")),
    ("Reshape", _NUMPY, "reshape", ("newshape",)),
    ("Roll", _NUMPY, "roll", ("shift", "axis")),
    ("Round", _NUMPY, "round", ("decimals",)),
    ("Sign", _NUMPY, "sign", ()),
    ("Sin", _NUMPY, "sin", ()),
    ("Sinh", _NUMPY, "sinh", ()),
    ("Sort", _NUMPY, "sort", ("axis",)),
    ("Split", _NUMPY, "split", ("indices_or_sections", "axis")),
    ("Sqrt", _NUMPY, "sqrt", ()),
    ("Square", _NUMPY, "square", ()),
    ("Squeeze", _NUMPY, "squeeze", ("axis",)),
    ("Stack", _NUMPY, "stack", ("axis",)),
    ("Std", _NUMPY, "std", ("axis", "keepdims")),
    ("Subtract", _NUMPY, "subtract", ()),
    ("Sum", _NUMPY, "sum", ("axis", "keepdims")),
    ("Swapaxes", _NUMPY, "swapaxes", ("axis1", "axis2")),
    ("Take", _NUMPY, "take", ("axis",)),
    ("TakeAlongAxis", _NUMPY, "take_along_axis", ("axis",)),
    ("Tan", _NUMPY, "tan", ()),
    ("Tanh", _NUMPY, "tanh", ()),
    ("Tensordot", _NUMPY, "tensordot", ("axes",)),
    ("Tile", _NUMPY, "tile", ("repeats",)),
    ("Transpose", _NUMPY, "transpose", ("axes",)),
    ("Tril", _NUMPY, "tril", ("k",)),
    ("Triu", _NUMPY, "triu", ("k",)),
    ("TrueDivide", _NUMPY, "true_divide", ()),
    ("Var", _NUMPY, "var", ("axis", "keepdims")),
    ("Where", _NUMPY, "where", ()),
    ("ZerosLike", _NUMPY, "zeros_like", ("dtype",)),
]


# Arguments of nnkern's function that Keras's op lacks (nnkern's amax / amin take numpy's `initial`): left
# out of the node when at their default.
_NOT_IN_KERAS = {"Amax": ("initial",), "Amin": ("initial",)}


def _make_class(class_name, module, function_name, config_arguments, call_keywords=()):
    return type(class_name, (Operation,), {
        "__doc__": f"Keras's `{module}.{class_name}` op node.", "__module__": __name__, "_keras_module": module,
        "function_name": function_name, "config_arguments": tuple(config_arguments),
        "call_keywords": tuple(call_keywords), "not_in_keras": _NOT_IN_KERAS.get(class_name, ())})


# Ops a Keras config may name (modules keras.src.ops.*), by class name.
OPERATIONS = {row[0]: _make_class(*row) for row in _TABLE}
# The op class each recordable nnkern.ops function makes (Keras's aliases share one: abs -> Absolute).
RECORDED_BY = {cls.function_name: cls for cls in OPERATIONS.values() if cls.function_name is not None}
RECORDED_BY.update({"abs": OPERATIONS["Absolute"], "swish": OPERATIONS["Silu"],
                    "hard_swish": OPERATIONS["HardSilu"]})
NotEqual = OPERATIONS["NotEqual"]
Any = OPERATIONS["Any"]


def record(public_name, function, args, kwargs):
    """What `nnkern.ops.<public_name>(*args, **kwargs)` returns when a KerasTensor is among its arguments:
    the output KerasTensor(s) of a new op node, with the op's config and call arguments split as Keras
    splits them."""
    if public_name == "shape":  # Keras returns a symbolic tensor's shape, None for unknown dimensions
        return tuple((args[0] if args else kwargs["x"]).shape)
    cls = RECORDED_BY.get(public_name)
    if cls is None:
        raise TypeError(f"ops.{public_name}: nnkern cannot record this op on a symbolic KerasTensor in a "
                        "functional model; call it inside a `Lambda` layer or a custom layer's `call()`.")
    signature = cls.signature()
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"ops.{public_name}: {e}") from None
    bound.apply_defaults()
    config, call_args, call_kwargs = {}, [], {}
    for p in signature.parameters.values():
        value = bound.arguments.get(p.name)
        if p.kind is p.VAR_POSITIONAL:
            call_args.extend(value or ())
        elif p.kind is p.VAR_KEYWORD:
            if value:
                raise TypeError(f"ops.{public_name}: keyword arguments {sorted(value)} cannot be recorded on "
                                "symbolic tensors.")
        elif p.name in cls.not_in_keras:
            if value is not p.default:
                raise TypeError(f"ops.{public_name}: `{p.name}` cannot be recorded on symbolic tensors (Keras's "
                                f"{cls.__name__} op has no such argument).")
        elif p.name in cls.config_arguments:
            config[p.name] = value
        elif p.name in cls.call_keywords:
            call_kwargs[p.name] = value
        else:
            call_args.append(value)
    return cls(**_as_keras_function_passes(cls, config))(*call_args, **call_kwargs)


def _as_keras_function_passes(cls, config):
    """The constructor arguments as Keras's op function standardizes them before making the op: one_hot
    and cast give floatx() for dtype None, convolutions and pools their data_format and lower-case padding."""
    from nnkern.ops import _settings
    if cls.__name__ in ("OneHot", "Cast") and config.get("dtype") is None:
        config["dtype"] = _settings.floatx()
    if "data_format" in config:
        config["data_format"] = _settings.standardize_data_format(config["data_format"])
    if isinstance(config.get("padding"), str):
        config["padding"] = config["padding"].lower()
    return config


def apply_operator(class_name, *operands, **config):
    """A Python operator on KerasTensors (`x * 2.0`, `2.0 - x`, `x[:, 0]`): Keras records the op with the
    operands in the order written, constants included."""
    return OPERATIONS[class_name](**config)(*operands)


def not_equal(x, value):
    """keras.ops.not_equal(x, value) on a KerasTensor (how Keras's Masking / Embedding masks are built)."""
    return NotEqual()(x, value)


def any(x, axis=None, keepdims=False):  # noqa: A001  (keras.ops.any)
    return Any(axis=axis, keepdims=keepdims)(x)
