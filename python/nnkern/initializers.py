"""Keras 3 weight initializers on numpy.

`get(identifier)` accepts what a layer's `*_initializer=` argument may be: a Keras name ('glorot_uniform',
'GlorotUniform', 'uniform', ...), a config dict, an Initializer object or class, an array (used as the
value), or any callable `f(shape)` / `f(shape, dtype)` returning something array-like. Random draws use
numpy, so values differ from Keras's for the same seed (distributions and scales are Keras's); an
initializer object gives the same values on every call, like Keras's seeded or unseeded initializers.
"""
import inspect
import math

import numpy as np

from nnkern.engine.dtypes import numpy_dtype, standardize_dtype
from nnkern.engine.identifiers import FromConfig as _FromConfig
from nnkern.engine.identifiers import deserialize_object as _deserialize_object
from nnkern.engine.naming import to_snake_case

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform",
           "LecunNormal", "LecunUniform", "Orthogonal", "get", "serialize", "deserialize", "set_seed"]

_seed_source = None  # made on first use: numpy.random costs import time that most runs never need


def set_seed(seed):
    """Make the seeds that unseeded initializers draw reproducible."""
    global _seed_source
    _seed_source = np.random.default_rng(seed)


def _make_seed():
    global _seed_source
    if _seed_source is None:
        _seed_source = np.random.default_rng()
    return int(_seed_source.integers(0, 2**31 - 1))


class Initializer(_FromConfig):
    """Base class: `__call__(shape, dtype=None)` returns a numpy array of that shape."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    def clone(self):
        return self.__class__.from_config(self.get_config())


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=numpy_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=numpy_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=numpy_dtype(dtype))


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(numpy_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"`seed` argument should be an instance of `int` or None. Received: seed={seed}")
        self._init_seed = seed
        self.seed = seed if seed is not None else _make_seed()

    def _rng(self):
        return np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self._init_seed}


class _NormalInitializer(RandomInitializer):
    """What RandomNormal and TruncatedNormal share: mean, stddev and seed."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomNormal(_NormalInitializer):
    def __call__(self, shape, dtype=None):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(numpy_dtype(dtype))


def _truncated_normal(rng, shape, mean, stddev):
    """Normal values redrawn until within two standard deviations (tf/jax truncated_normal)."""
    size = int(np.prod(shape))
    out = rng.normal(0.0, 1.0, size=size)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return (mean + stddev * out).reshape(shape)


class TruncatedNormal(_NormalInitializer):
    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._rng(), shape, self.mean, self.stddev).astype(numpy_dtype(dtype))


class RandomUniform(RandomInitializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(numpy_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def compute_fans(shape, input_axes=None, output_axes=None):
    """Keras's (fan_in, fan_out) of a weight shape (conv kernels: (..., in, out))."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return int(np.prod([shape[a] for a in input_axes])), int(np.prod([shape[a] for a in output_axes]))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = int(np.prod(shape[:-2]))
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


class VarianceScaling(RandomInitializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {{'fan_in', 'fan_out', "
                             "'fan_avg'}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in {"uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError(f"Invalid `distribution` argument: {distribution}.Please use one of "
                             "{'uniform', 'truncated_normal', 'untruncated_normal'}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        scale = self.scale
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(scale) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, size=shape)
        return np.asarray(values).astype(numpy_dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes, "output_axes": self.output_axes}


def _variance_scaling_preset(class_name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed,
                                 input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self._init_seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                                 "__doc__": f"VarianceScaling(scale={scale}, mode='{mode}', "
                                                            f"distribution='{distribution}')."})


GlorotUniform = _variance_scaling_preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling_preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
LecunNormal = _variance_scaling_preset("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling_preset("LecunUniform", 1.0, "fan_in", "uniform")
HeNormal = _variance_scaling_preset("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _variance_scaling_preset("HeUniform", 2.0, "fan_in", "uniform")


class Orthogonal(RandomInitializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. Received: "
                             f"shape={shape} of rank {len(shape)}.")
        rows = int(np.prod(shape[:-1]))
        cols = int(shape[-1])
        a = self._rng().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(numpy_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


_CLASSES = [Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "normal": RandomNormal,
                 "one": Ones, "zero": Zeros, "uniform": RandomUniform})

# Lower-case function-style aliases: nnkern.initializers.glorot_uniform(...) etc. construct the class.
for _cls in _CLASSES:
    globals()[to_snake_case(_cls.__name__)] = _cls


def serialize(initializer):
    if initializer is None:
        return None
    if isinstance(initializer, Initializer):
        return {"module": "keras.initializers", "class_name": initializer.__class__.__name__,
                "config": initializer.get_config(), "registered_name": None}
    return getattr(initializer, "__name__", str(initializer))


def deserialize(config, custom_objects=None):
    return _deserialize_object(config, "initializer", _BY_NAME, get, custom_objects)


def get(identifier):
    """An initializer (object or callable) for a Keras identifier; ValueError if it means nothing."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier!r}. Known names: "
                             f"{', '.join(sorted(n for n in _BY_NAME if n[0].islower()))}")
        return cls()
    if isinstance(identifier, (np.ndarray, np.generic)) or hasattr(identifier, "__array__") and not callable(identifier):
        value = np.asarray(identifier)

        def initialize_fn(shape, dtype=None):
            if tuple(shape) != value.shape:
                raise ValueError(f"Expected `shape` to be {value.shape} for direct tensor as initializer. "
                                 f"Received shape={shape}")
            return value.astype(numpy_dtype(dtype))
        return initialize_fn
    if inspect.isclass(identifier) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier}")


def _accepts_dtype(fn):
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind == p.VAR_KEYWORD for p in params) or any(p.name == "dtype" for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def call_initializer(initializer, shape, dtype, what="weight"):
    """initializer(shape[, dtype]) as a numpy array of exactly `shape` and `dtype`; ValueError naming
    `what` if the initializer returns another shape."""
    shape = tuple(int(d) for d in shape)
    dtype = standardize_dtype(dtype)
    if isinstance(initializer, Initializer) or _accepts_dtype(initializer):
        value = initializer(shape, dtype=dtype)
    else:
        value = initializer(shape)
    value = np.asarray(getattr(value, "value", value) if hasattr(value, "assign") else value)
    if value.shape != shape:
        if value.size == int(np.prod(shape)) and value.ndim == 0:
            value = np.full(shape, value)
        else:
            raise ValueError(f"The initializer of {what} returned an array of shape {value.shape}, expected "
                             f"shape {shape}.")
    return value.astype(numpy_dtype(dtype), copy=False)
