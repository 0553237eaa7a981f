"""The layers keras.applications defines for its own models: LayerScale and StochasticDepth (ConvNeXt),
CustomScaleLayer (InceptionResNetV2).

Keras writes them in `.keras` configs under their defining module (`keras.src.applications.convnext`,
...) with `registered_name` set to the class name; `keras_module` makes nnkern write the same, so a model
nnkern saves loads in Keras without custom_objects, as Keras's own files load in nnkern."""
import numbers

import numpy as np

from nnkern import initializers
from nnkern.engine.layer import Layer
from nnkern.layers.merging import Merge

__all__ = ["LayerScale", "StochasticDepth", "CustomScaleLayer"]


def _number(value, arg, layer, low=None, high=None):
    """`value` if it is a real number within [low, high]; else a ValueError naming the layer."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value) \
        and (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        bounds = "" if low is None else f" in [{low}, {high}]"
        raise ValueError(f"{layer}: `{arg}` must be a finite number{bounds}. Received: {arg}={value!r}")
    return value


class LayerScale(Layer):
    """x * gamma, gamma a learned vector of `projection_dim` values starting at `init_values`
    (keras.src.applications.convnext.LayerScale)."""

    keras_module = "keras.src.applications.convnext"
    _plan_trusted = True

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = _number(init_values, "init_values", "LayerScale")
        if not isinstance(projection_dim, numbers.Integral) or isinstance(projection_dim, bool) or projection_dim < 1:
            raise ValueError("LayerScale: `projection_dim` must be a positive integer. "
                             f"Received: projection_dim={projection_dim!r}")
        self.projection_dim = int(projection_dim)

    def build(self, input_shape):
        last = None if not input_shape else input_shape[-1]
        if last is not None and last != self.projection_dim:
            raise ValueError(f"LayerScale '{self.name}': the input's last dimension must be projection_dim="
                             f"{self.projection_dim}. Received: input_shape={tuple(input_shape)}")
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values), trainable=True,
                                     name="variable")

    def call(self, inputs):
        return inputs * self.gamma.value

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


class StochasticDepth(Layer):
    """Drops the whole residual path of a sample with probability `drop_path_rate` when training (kept
    paths scaled by 1 / (1 - drop_path_rate)); identity at inference
    (keras.src.applications.convnext.StochasticDepth)."""

    keras_module = "keras.src.applications.convnext"
    _plan_trusted = True

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = _number(drop_path_rate, "drop_path_rate", "StochasticDepth", 0, 1)
        self._rng = np.random.default_rng()
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.drop_path_rate == 0:
            return inputs
        keep_prob = 1.0 - self.drop_path_rate
        if keep_prob == 0:
            return np.zeros_like(inputs)
        # One draw per sample, broadcast over its other axes: floor(keep_prob + U[0, 1)) is 1 with
        # probability keep_prob, as in Keras.
        keep = np.floor(keep_prob + self._rng.random((inputs.shape[0],) + (1,) * (inputs.ndim - 1)))
        return (inputs / np.float32(keep_prob) * keep.astype(np.float32)).astype(inputs.dtype, copy=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class CustomScaleLayer(Merge):
    """inputs[0] + inputs[1] * scale: InceptionResNetV2's residual sum
    (keras.src.applications.inception_resnet_v2.CustomScaleLayer)."""

    keras_module = "keras.src.applications.inception_resnet_v2"
    keras2_registered_names = ("Custom>CustomScaleLayer",)  # tf-keras registers it in the default package

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = _number(scale, "scale", "CustomScaleLayer")
        self.supports_masking = False  # a plain Keras Layer: no mask goes through it

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `CustomScaleLayer` ('{self.name}') should be called on exactly 2 inputs "
                             f"[shortcut, residual]. Received: input_shape={list(input_shape)}")
        self._reshape_required = False  # Keras computes inputs[0] + inputs[1] * scale: numpy broadcasting

    def _merge_function(self, inputs, masks=None):
        if len(inputs) != 2:
            raise ValueError(f"A `CustomScaleLayer` ('{self.name}') should be called on exactly 2 inputs "
                             f"[shortcut, residual]. Received {len(inputs)} inputs")
        return inputs[0] + inputs[1] * np.float32(self.scale)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
