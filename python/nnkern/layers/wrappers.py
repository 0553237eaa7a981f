"""TimeDistributed: apply any layer to every timestep of (batch, time, ...) with shared weights."""
import numpy as np

from nnkern.engine import tree
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer, is_default
from nnkern.engine.plan import normalize_output
from nnkern.engine.registry import deserialize, serialize_layer

__all__ = ["Wrapper", "TimeDistributed"]


class Wrapper(Layer):
    """Base of layers that wrap another layer (tracked as a sublayer, so its weights are the wrapper's)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure "
                             "wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """The inner layer sees (batch * time, ...) samples: one call per batch, not per timestep."""

    _plan_trusted = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer '{self.name}' should be passed an `input_shape` with at "
                             f"least 3 dimensions, received: {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child = self._child_input_shape(input_shape)
        if not self.layer.built:
            if not is_default(self.layer.build):
                self.layer.build(child)
            else:  # a layer without build(): build it by calling it on a placeholder
                self.layer(KerasTensor(child, dtype=self.compute_dtype))
            self.layer.built = True
        self.built = True

    def compute_output_shape(self, input_shape):
        child = self._child_input_shape(input_shape)
        spec = self.layer.compute_output_spec(KerasTensor(child, dtype=self.compute_dtype))
        return tree.map_structure(lambda t: (t.shape[0], input_shape[1], *t.shape[1:]), spec)

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim < 2 or mask.shape[:2] != (batch, steps):
                raise ValueError(f"The `mask` passed to the `TimeDistributed` layer '{self.name}' has a shape "
                                 f"{mask.shape} that is incompatible with the input shape {inputs.shape}. The first "
                                 "two dimensions of the mask (batch size and timesteps) must match the input's first "
                                 f"two dimensions. Expected mask shape prefix: ({batch}, {steps}).")
        flat = inputs.reshape((batch * steps,) + inputs.shape[2:])
        kwargs = {}
        if self.layer._call_has_mask_arg and mask is not None:
            kwargs["mask"] = mask.reshape((batch * steps,) + mask.shape[2:])
        if self.layer._call_has_training_arg and training is not None:
            kwargs["training"] = training
        out = self.layer.call(flat, **kwargs)
        if not self.layer._plan_trusted:
            out = tree.map_structure(normalize_output, out)
        return tree.map_structure(lambda y: y.reshape((batch, steps) + y.shape[1:]), out)
