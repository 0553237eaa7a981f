"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax and Keras 2's ThresholdedReLU (removed in
Keras 3; old files hold it)."""
import numpy as np

from nnkern import activations
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU"]

_MASKED_LOGIT = np.float32(-1e9)  # what Keras's Softmax puts in masked positions before the softmax


def _non_negative(value, arg, layer, allow_none=False):
    """`value` if it is a number >= 0 (or None when allowed); else Keras's ValueError."""
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value < 0:
        cannot = "a negative value" if allow_none else "None or a negative value"
        raise ValueError(f"{arg} of a {layer} layer cannot be {cannot}. Received: {arg}={value}")
    return value


class _ElementwiseActivation(Layer):
    """Weightless, shape-preserving, masks passed through."""
    _plan_trusted = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_ElementwiseActivation):
    """keras.activations.relu with max_value, negative_slope and threshold."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(max_value, "max_value", "ReLU", allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "ReLU")
        self.threshold = _non_negative(threshold, "threshold", "ReLU")

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def kernel_activation(self):
        """The prediction plan's fusion protocol (see Activation.kernel_activation): relu or relu6."""
        if type(self).call is not ReLU.call or self.negative_slope != 0 or self.threshold != 0:
            return None
        return {None: "relu", 6: "relu6"}.get(self.max_value)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_ElementwiseActivation):
    """x if x > 0 else negative_slope * x. Keras 2's `alpha` (old files) is read as negative_slope."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or isinstance(negative_slope, bool) or negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ElementwiseActivation):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(_ElementwiseActivation):
    """Keras 2: x where x > theta, else 0."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError("Theta of a Thresholded ReLU layer cannot be None, expecting a float. "
                             f"Received: {theta}")
        if theta < 0:
            raise ValueError(f"The theta value of a Thresholded ReLU layer should be >=0. Received: {theta}")
        self.theta = float(theta)

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        return x * (x > np.float32(self.theta)).astype(np.float32)

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}


class Softmax(_ElementwiseActivation):
    """Softmax over `axis` (an int or a list). With `mask` (broadcastable to the input; not bool: > 0.5
    counts), masked positions enter as -1e9 and come out as 0, as in Keras."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        x = np.asarray(inputs, dtype=np.float32)
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim > x.ndim or any(m != 1 and m != i for m, i in zip(mask.shape[::-1], x.shape[::-1])):
                raise ValueError(f"Softmax layer '{self.name}': The `mask` must be broadcastable to `inputs`. "
                                 f"Received: inputs.shape={x.shape}, mask.shape={mask.shape}")
            if mask.dtype != bool:
                mask = mask > 0.5
            x = np.where(mask, x, _MASKED_LOGIT)
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            axes = tuple(self.axis)
            shifted = x - x.max(axis=axes, keepdims=True)
            exp = np.exp(shifted)
            out = (exp / exp.sum(axis=axes, keepdims=True)).astype(np.float32)
        else:
            out = activations.softmax(x, axis=self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis)
        if mask is not None:
            out = np.where(mask, out, np.float32(0.0))
        return out

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """max(x, 0) - alpha * max(-x, 0), alpha a weight of the input's per-sample shape with `shared_axes`
    of size 1."""
    _plan_trusted = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._set_weight_arguments("alpha", alpha_initializer, alpha_regularizer, alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for i in self.shared_axes or ():
            if not 1 <= i < len(input_shape):
                raise ValueError(f"PReLU layer '{self.name}': shared axis {i} is out of range for input shape "
                                 f"{tuple(input_shape)} (axes 1..{len(input_shape) - 1})")
            param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU layer '{self.name}': every non-shared axis must have a known size, got input "
                             f"shape {tuple(input_shape)} with shared_axes={self.shared_axes}")
        self.alpha = self._add_weight_from_arguments("alpha", param_shape)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={i: input_shape[i] for i in range(1, len(input_shape))
                                                                 if i not in (self.shared_axes or ())})

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        out = np.minimum(x, np.float32(0))  # -alpha * relu(-x) == alpha * min(x, 0)
        out *= self.alpha.value
        out += np.maximum(x, np.float32(0))
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), **self._weight_arguments_config("alpha"), "shared_axes": self.shared_axes}
