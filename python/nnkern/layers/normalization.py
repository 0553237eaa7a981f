"""Normalization layers: BatchNormalization (moving statistics at inference; batch statistics with
training=True, as Keras), LayerNormalization, GroupNormalization, UnitNormalization. Formulas follow
Keras 3's JAX backend: y = x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + epsilon)."""
import warnings

import numpy as np

from nnkern import _core, initializers
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers import keras2_modules
from nnkern.layers.kernel_calls import run_kernel

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"]


def layer_axes(axis, layer):
    """An `axis` argument as Keras keeps it: an int stays an int, a list/tuple becomes a list."""
    if isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) for a in axis):
        return [int(a) for a in axis]
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(f"{layer}: expected an int or a list/tuple of ints for the argument 'axis', but received: "
                    f"{axis!r}")


def check_axes(axis, input_shape, layer):
    """The axes of `axis` as sorted non-negative ints for this input shape; ValueError naming the layer
    when one is out of bounds (Keras's message)."""
    ndim = len(input_shape)
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if a >= ndim or a < -ndim:
            raise ValueError(f"{layer}: Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                             f"Received: axis={axis}")
    return sorted(a % ndim for a in axes)


def _broadcast_shape(ndim, axes, input_shape):
    return tuple(input_shape[d] if d in axes else 1 for d in range(ndim))


def normalize_with(x, mean, variance, epsilon, gamma=None, beta=None):
    """(x - mean) / sqrt(variance + epsilon) * gamma + beta in float32, ordered as Keras's backends do:
    x * inv + (beta - mean * inv), one multiply and one add over x."""
    inv = np.float32(1.0) / np.sqrt(variance + np.float32(epsilon))
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    out = np.multiply(x, inv, dtype=np.float32)
    out += res
    return out


def standardize(x, axes, epsilon, gamma=None, beta=None):
    """x normalized by its own mean and variance over `axes` (each computed once), times gamma plus beta."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    variance = np.mean(np.square(centered), axis=axes, keepdims=True)
    inv = np.float32(1.0) / np.sqrt(variance + np.float32(epsilon))
    if gamma is not None:
        inv = inv * gamma
    centered *= inv
    if beta is not None:
        centered += beta
    return centered


class _AffineNormalization(Layer):
    """Shared constructor arguments and weights (gamma, beta) of the normalization layers."""
    _plan_trusted = True

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, beta_constraint, gamma_constraint, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self._set_weight_arguments("beta", beta_initializer, beta_regularizer, beta_constraint)
        self._set_weight_arguments("gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.gamma = None
        self.beta = None
        self.supports_masking = True

    def _add_gamma_beta(self, shape, with_gamma, with_beta):
        if with_gamma:
            self.gamma = self._add_weight_from_arguments("gamma", shape)
        if with_beta:
            self.beta = self._add_weight_from_arguments("beta", shape)

    def _gamma_beta(self, shape):
        return (None if self.gamma is None else self.gamma.value.reshape(shape),
                None if self.beta is None else self.beta.value.reshape(shape))

    def compute_output_shape(self, input_shape):
        check_axes(self.axis, input_shape, f"{type(self).__name__} layer '{self.name}'")
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                **self._weight_arguments_config("beta", "gamma")}


class BatchNormalization(_AffineNormalization):
    """Normalizes with the moving mean and variance (inference). `training=True` uses the batch's
    statistics (masked steps left out) and updates the moving ones with `momentum`, as Keras does.

    Weights: gamma (if scale), beta (if center), moving_mean, moving_variance (non-trainable); with
    renorm also moving_stddev, renorm_mean, renorm_stddev (unused at inference). `axis` may also be a
    list (Keras 2 files write [3]; several axes as Keras 2 allowed)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        kwargs.pop("fused", None)  # Keras 2's choice of implementation: same result
        for key in ("virtual_batch_size", "adjustment"):  # Keras 2 options that change the computation
            if kwargs.pop(key, None) is not None:
                raise ValueError(f"BatchNormalization: Keras 2's argument `{key}` is not supported by nnkern.")
        super().__init__(float(epsilon), center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        axis = layer_axes(axis, f"BatchNormalization layer '{self.name}'")
        self.axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow backend.")
        self.synchronized = synchronized
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = renorm
        if renorm and set(renorm_clipping or {}) - {"rmax", "rmin", "dmax"}:
            raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
                             "Supported values: ['rmax', 'rmin', 'dmax'].")
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum

    def build(self, input_shape):
        what = f"BatchNormalization layer '{self.name}'"
        self._axes = check_axes(self.axis, input_shape, what)
        shape = tuple(input_shape[a] for a in self._axes)
        if any(d is None for d in shape):
            raise ValueError(f"{what}: axis {self.axis} of the input must have a known size, got input shape "
                             f"{tuple(input_shape)}")
        self._add_gamma_beta(shape, self.scale, self.center)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False)
        if self.renorm:
            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev", initializer="ones",
                                                 trainable=False)
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean", initializer="zeros",
                                               trainable=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev", initializer="ones",
                                                 trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={a: input_shape[a] for a in self._axes})

    def call(self, inputs, training=None, mask=None):
        x = np.asarray(inputs, dtype=np.float32)
        shape = _broadcast_shape(x.ndim, self._axes, x.shape)
        if mask is not None and np.ndim(mask) != x.ndim - 1:
            raise ValueError("The mask provided should be one dimension less than the inputs. Received: "
                             f"mask.shape={np.shape(mask)}, inputs.shape={x.shape}")
        if training and self.trainable:
            if self.renorm:
                raise NotImplementedError(f"BatchNormalization layer '{self.name}': renorm with training=True")
            mean, variance = self._batch_moments(x, mask)
            m = np.float32(self.momentum)
            self.moving_mean.assign(self.moving_mean.value * m + mean.reshape(self.moving_mean.shape) * (1 - m))
            self.moving_variance.assign(self.moving_variance.value * m
                                        + variance.reshape(self.moving_variance.shape) * (1 - m))
        else:
            mean = self.moving_mean.value.reshape(shape)
            variance = self.moving_variance.value.reshape(shape)
        gamma, beta = self._gamma_beta(shape)
        return normalize_with(x, mean.reshape(shape), variance.reshape(shape), self.epsilon, gamma, beta)

    def channel_affine(self):
        """The prediction plan's fusion protocol: (scale, shift), float32 over the last axis, such that the
        inference output is x * scale + shift; None unless this layer normalizes the last axis only."""
        ndim = self.input_spec.ndim if self.input_spec is not None else None
        if type(self).call is not BatchNormalization.call or ndim is None or self._axes != [ndim - 1] \
                or self.moving_mean.value.dtype != np.float32:
            return None
        scale = np.float32(1.0) / np.sqrt(self.moving_variance.value + np.float32(self.epsilon))
        if self.gamma is not None:
            scale = scale * self.gamma.value
        shift = -self.moving_mean.value * scale
        if self.beta is not None:
            shift = shift + self.beta.value
        return scale.astype(np.float32), shift.astype(np.float32)

    def _batch_moments(self, x, mask):
        reduce = tuple(d for d in range(x.ndim) if d not in self._axes)
        if mask is None:
            return x.mean(axis=reduce, keepdims=True), x.var(axis=reduce, keepdims=True)
        weights = np.broadcast_to(np.asarray(mask, dtype=bool)[..., None], x.shape)
        count = weights.sum(axis=reduce, keepdims=True, dtype=np.float32) + np.float32(1e-7)
        mean = np.where(weights, x, 0).sum(axis=reduce, keepdims=True) / count
        variance = np.square(np.where(weights, x - mean, 0)).sum(axis=reduce, keepdims=True) / count
        return mean, variance

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}


class LayerNormalization(_AffineNormalization):
    """Normalizes each sample over `axis` (an int or a list). rms_scaling=True (deprecated in Keras 3):
    x / sqrt(variance + epsilon) * gamma, no centring and no beta."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales "
                          "the input by the variance, not the root mean square.", stacklevel=2)
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.axis = layer_axes(axis, f"LayerNormalization layer '{self.name}'")
        self.rms_scaling = rms_scaling
        self.autocast = False

    def build(self, input_shape):
        self._axes = check_axes(self.axis, input_shape, f"LayerNormalization layer '{self.name}'")
        # Keras makes the axis a sorted list at build (its config then shows it so).
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(input_shape[a] for a in self._axes)
        self._add_gamma_beta(shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling)
        # The compiled kernel normalizes over the last axis (Keras's default and the Transformer's case) with
        # float32 weights; other axes and rms_scaling run on numpy.
        weights = [w for w in (self.gamma, self.beta) if w is not None]
        object.__setattr__(self, "_last_axis_kernel", self._axes == [len(input_shape) - 1] and not self.rms_scaling
                           and float(self.epsilon) >= 0 and all(w.value.dtype == np.float32 for w in weights))

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        if self._last_axis_kernel and x.ndim - 1 == self._axes[0]:
            return self.normalize(x)
        axes = tuple(self._axes)
        shape = _broadcast_shape(x.ndim, axes, x.shape)
        gamma, beta = self._gamma_beta(shape)
        if self.rms_scaling:  # scaled by the variance, not centred
            out = x / np.sqrt(x.var(axis=axes, keepdims=True) + np.float32(self.epsilon))
            return out if gamma is None else out * gamma
        return standardize(x, axes, self.epsilon, gamma, beta)

    def normalize(self, x, residual=None):
        """The compiled last-axis path: the layer's output for float32 x, or for x + residual with the sum in
        the kernel."""
        return run_kernel(self, _core.layer_norm, x, None if self.gamma is None else self.gamma.value,
                          None if self.beta is None else self.beta.value, self.epsilon, residual=residual)

    def normalize_sum(self, x, residual):
        """The prediction plan's fusion protocol: self(x + residual) for two float32 arrays of one shape, the sum
        computed in the kernel (a residual Add before this layer); None when this layer or these inputs take
        another path (a subclass's call(), other axes, rms_scaling), which the caller then runs as two calls."""
        if not self._last_axis_kernel or type(self).call is not LayerNormalization.call \
                or type(x) is not np.ndarray or type(residual) is not np.ndarray or x.shape != residual.shape \
                or x.dtype != np.float32 or residual.dtype != np.float32 or x.ndim - 1 != self._axes[0]:
            return None
        return self.normalize(x, residual)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "rms_scaling": self.rms_scaling}


class GroupNormalization(_AffineNormalization):
    """Splits the `axis` channels into `groups` and normalizes each sample's group over all other axes
    (groups=-1: one group per channel, instance normalization)."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError("GroupNormalization: Received an invalid value for argument `groups`, expected a "
                             f"positive integer (or `-1` for instance normalization). Received: groups={groups}")
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"GroupNormalization layer '{self.name}': `axis` must be an int, got {axis!r}")
        self.groups = groups
        self.axis = int(axis)
        self.autocast = False

    def build(self, input_shape):
        what = f"GroupNormalization layer '{self.name}'"
        self._axis = check_axes(self.axis, input_shape, what)[0]
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"{what}: Axis {self.axis} of input tensor should have a defined dimension but the "
                             f"layer received an input with shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"{what}: Number of groups ({self.groups}) cannot be more than the number of channels "
                             f"({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"{what}: Number of groups ({self.groups}) must be a multiple of the number of "
                             f"channels ({dim}).")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self._add_gamma_beta((dim,), self.scale, self.center)

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        a = self._axis
        grouped = x.reshape(x.shape[:a] + (self.groups, x.shape[a] // self.groups) + x.shape[a + 1:])
        reduce = tuple(d for d in range(1, grouped.ndim) if d != a)
        shape = (1,) * a + (self.groups, x.shape[a] // self.groups) + (1,) * (x.ndim - a - 1)
        gamma, beta = self._gamma_beta(shape)
        out = standardize(grouped, reduce, self.epsilon, gamma, beta)
        return out.reshape(x.shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis}


class UnitNormalization(Layer):
    """x / max(||x||_2 over `axis`, 1e-12) (Keras: x * min(rsqrt(sum(x**2)), 1e12))."""
    _plan_trusted = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = layer_axes(axis, f"UnitNormalization layer '{self.name}'")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        axes = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = np.sum(np.square(x), axis=axes, keepdims=True)
        with np.errstate(divide="ignore"):
            inv_norm = np.minimum(np.float32(1.0) / np.sqrt(square_sum), np.float32(1e12))
        return x * inv_norm

    def compute_output_shape(self, input_shape):
        check_axes(self.axis, input_shape, f"UnitNormalization layer '{self.name}'")
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# Keras 1/2's keras.layers.normalization held more layers than this module (see keras2_modules): old code's
# `from keras.layers.normalization import *` brings them from the package.
__getattr__ = keras2_modules.package_attribute
__all__ = keras2_modules.all_names(__name__, __all__)
