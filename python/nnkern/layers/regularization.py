"""Dropout, SpatialDropout1D/2D/3D and ActivityRegularization: identity at inference; `layer(x,
training=True)` applies inverted dropout (kept values scaled by 1 / (1 - rate))."""
import numpy as np

from nnkern.engine.argument_validation import standardize_data_format
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer

__all__ = ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization"]


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs when training; `noise_shape` shares the mask along axes of
    size 1; `seed` makes the sequence of masks reproducible."""

    _plan_trusted = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if "p" in kwargs:  # Keras 1
            rate = kwargs.pop("p")
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate = rate
        self.seed = seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._rng = np.random.default_rng(seed)
        self.supports_masking = True
        self.built = True

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return inputs.shape
        return tuple(d if d is not None else s for d, s in zip(self.noise_shape, inputs.shape))

    def _dropout(self, inputs, noise_shape):
        x = inputs if inputs.dtype.kind == "f" else inputs.astype(np.float32)
        keep_prob = 1.0 - self.rate
        keep = self._rng.random(noise_shape) < keep_prob
        if keep_prob == 0.0:
            return np.zeros_like(x)
        return np.where(keep, x / np.float32(keep_prob), np.float32(0)).astype(x.dtype, copy=False)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return self._dropout(inputs, self._noise_shape(inputs))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class _SpatialDropout(Dropout):
    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return self._dropout(inputs, self._spatial_noise_shape(inputs.shape))
        return inputs

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature channels of (batch, time, channels)."""

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _spatial_noise_shape(self, shape):
        return (shape[0], 1, shape[2])


class _SpatialDropoutWithFormat(_SpatialDropout):
    """SpatialDropout2D / 3D: whole feature maps of `rank` spatial axes, channels last or first."""
    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_noise_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + (1,) * self.rank
        return (shape[0],) + (1,) * self.rank + (shape[-1],)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutWithFormat):
    """Drops whole feature maps of 4-D inputs."""
    rank = 2


class SpatialDropout3D(_SpatialDropoutWithFormat):
    """Drops whole feature volumes of 5-D inputs."""
    rank = 3


class ActivityRegularization(Layer):
    """Identity in the forward pass (the l1/l2 activity penalty only matters for training)."""

    _plan_trusted = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
