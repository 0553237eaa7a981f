"""Preprocessing layers: Normalization (given or adapted mean/variance, invert), Rescaling, CenterCrop,
Resizing. They compute in float32, as Keras's (`Resizing` of integer images rounds back to their dtype)."""
import math

import numpy as np

from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.layers import image_resizing
from nnkern.engine.argument_validation import standardize_data_format

__all__ = ["Normalization", "Rescaling", "CenterCrop", "Resizing"]

_EPSILON = np.float32(1e-7)  # keras.backend.epsilon(): the smallest standard deviation divided by


class Normalization(Layer):
    """(x - mean) / sqrt(variance) per position of the kept `axis` (None: one mean for everything);
    invert=True maps back: mean + x * sqrt(variance). mean/variance come from the constructor (then the
    layer has no weights) or from its weights mean, variance, count (non-trainable), set by `adapt(data)`
    or loaded from a Keras file."""
    _plan_trusted = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (int(axis),) if isinstance(axis, (int, np.integer)) else tuple(axis)
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        if (mean is not None) != (variance is not None):
            raise ValueError(f"Normalization layer '{self.name}': When setting values directly, both `mean` and "
                             f"`variance` must be set. Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization layer '{self.name}': When setting values directly, `mean` and "
                                 f"`variance` must have the same shape. Received: mean shape {np.shape(mean)} "
                                 f"and variance shape {np.shape(variance)}")
            if np.ndim(mean) > len(self.axis):
                raise ValueError(f"Normalization layer '{self.name}': The rank of `mean` must be less than or "
                                 f"equal to the number of axes ({len(self.axis)}). Received: mean shape "
                                 f"{np.shape(mean)} for axis {self.axis}")

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization layer '{self.name}': All `axis` values must be in the range "
                             f"[-ndim, ndim). Received inputs with ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"Normalization layer '{self.name}': All `axis` values to be kept must have a "
                                 f"known shape. Received axis={self.axis}, inputs.shape={tuple(input_shape)}, "
                                 f"with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stats_shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stats_shape, initializer="ones",
                                                  trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros",
                                         trainable=False)
        else:
            self._given = tuple(self._place(np.asarray(v, dtype=np.float32), ndim)
                                for v in (self.input_mean, self.input_variance))

    def _place(self, value, ndim):
        """A given mean/variance broadcast over the input: its axes are the last kept axes (Keras's rule)."""
        if value.ndim:
            expanded = [1] * ndim
            for i in range(1, value.ndim + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return np.broadcast_to(value, self._broadcast_shape)

    def _mean_and_std(self):
        if self.input_mean is None:
            mean = self.adapt_mean.value.reshape(self._broadcast_shape)
            variance = self.adapt_variance.value.reshape(self._broadcast_shape)
        else:
            mean, variance = self._given
        return mean, np.maximum(np.sqrt(variance), _EPSILON)

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        mean, std = self._mean_and_std()
        if self._keep_axis == (x.ndim - 1,) and x.ndim >= 3 and x.flags.c_contiguous and x.shape[-1] == mean.shape[-1]:
            # Per-channel statistics of an image: numpy's inner loop would run over the channels alone (3 for
            # RGB: ~20x slower). The same elementwise operations on (.., width * channels) rows, with the
            # statistics tiled along a row.
            row = x.shape[-2] * x.shape[-1]
            mean, std = (np.tile(v.reshape(-1), x.shape[-2]) for v in (mean, std))
            rows = x.reshape(-1, row)
            y = mean + rows * std if self.invert else (rows - mean) / std
            return y.reshape(x.shape)
        return mean + x * std if self.invert else (x - mean) / std

    def adapt(self, data):
        """Sets the mean and variance weights from `data`: an array, or an iterable of batches (combined as
        Keras combines them). `count` stays as Keras 3 leaves it."""
        if isinstance(data, np.ndarray) or hasattr(data, "__array__"):
            batches = [np.asarray(data)]
        elif hasattr(data, "__iter__"):
            batches = [np.asarray(b[0] if isinstance(b, tuple) else b) for b in data]
            if not batches:
                raise ValueError("adapt() received an empty iterable (no batches). Expected at least one batch.")
        else:
            raise TypeError(f"Unsupported data type: {type(data)}. `adapt` supports numpy arrays and iterables "
                            "of batches.")
        if not self.built:
            self.build(batches[0].shape)
        if self.input_mean is not None:
            raise ValueError(f"Normalization layer '{self.name}' was given `mean` and `variance`: adapt() "
                             "has no weights to set.")
        for batch in batches:
            if batch.ndim != len(self._broadcast_shape) or any(
                    batch.shape[d] != self._broadcast_shape[d] for d in self._keep_axis):
                raise ValueError(f"Normalization layer '{self.name}' was built with broadcast shape "
                                 f"{self._broadcast_shape}, but adapt() is being called with data with an "
                                 f"incompatible shape, data.shape={batch.shape}")
        if len(batches) == 1:
            mean, variance = np.mean(batches[0], axis=self._reduce_axis), np.var(batches[0], axis=self._reduce_axis)
        else:
            mean, variance, count = 0.0, 0.0, 0
            for batch in batches:
                batch = batch.astype(np.float32)
                batch_count = math.prod(batch.shape[d] for d in self._reduce_axis)
                count += batch_count
                weight = batch_count / count
                batch_mean = batch.mean(axis=self._reduce_axis)
                new_mean = mean * (1 - weight) + batch_mean * weight
                variance = ((variance + (mean - new_mean) ** 2) * (1 - weight)
                            + (batch.var(axis=self._reduce_axis) + (batch_mean - new_mean) ** 2) * weight)
                mean = new_mean
        self.adapt_mean.assign(np.asarray(mean, dtype=np.float32).reshape(self.adapt_mean.shape))
        self.adapt_variance.assign(np.asarray(variance, dtype=np.float32).reshape(self.adapt_variance.shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}


class Rescaling(Layer):
    """inputs * scale + offset in float32; scale and offset scalars or per-channel (last axis) values."""
    _plan_trusted = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self._scale = np.asarray(scale, dtype=np.float32)
        self._offset = np.asarray(offset, dtype=np.float32)
        self.supports_masking = True
        # Built on first call, as in Keras: its config then records the input shape (build_config).

    def call(self, inputs):
        return np.asarray(inputs, dtype=np.float32) * self._scale + self._offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _spatial_axes(data_format, ndim, layer):
    if ndim not in (3, 4):
        raise ValueError(f"{layer}: expected images of rank 3 (unbatched) or 4 (batched), received an input of "
                         f"rank {ndim}")
    return ndim - 3 if data_format == "channels_last" else ndim - 2


class _ImageLayer(Layer):
    """Base of CenterCrop and Resizing: images (batch, height, width, channels) or channels_first."""
    _plan_trusted = True

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("height", height), ("width", width)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{type(self).__name__} layer '{self.name}': `{arg}` must be a positive integer. "
                                 f"Received: {arg}={value!r}")
        self.height = int(height)
        self.width = int(width)
        self.data_format = standardize_data_format(data_format)
        self.built = True

    def _height_axis(self, ndim):
        return _spatial_axes(self.data_format, ndim, f"{type(self).__name__} layer '{self.name}'")

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        h = self._height_axis(len(out))
        out[h], out[h + 1] = self.height, self.width
        return tuple(out)


class CenterCrop(_ImageLayer):
    """The centred height x width window; an image smaller than that on either side is instead resized
    (Keras's smart_resize: crop to the target's aspect ratio, then bilinear resize)."""

    def call(self, inputs):
        x = np.asarray(inputs, dtype=np.float32)
        h = self._height_axis(x.ndim)
        in_height, in_width = x.shape[h], x.shape[h + 1]
        if in_height >= self.height and in_width >= self.width:
            top, left, height, width = ((in_height - self.height) // 2, (in_width - self.width) // 2,
                                        self.height, self.width)
        else:
            top, left, height, width = image_resizing.aspect_crop_box(in_height, in_width, self.height, self.width)
        index = [slice(None)] * x.ndim
        index[h], index[h + 1] = slice(top, top + height), slice(left, left + width)
        return image_resizing.resize(x[tuple(index)], self.height, self.width, "bilinear", height_axis=h)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class Resizing(_ImageLayer):
    """Resizes images to height x width with Keras's interpolations (computed as its JAX backend does);
    crop_to_aspect_ratio crops, pad_to_aspect_ratio pads with fill_value, to the target's aspect ratio first."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(height, width, data_format, **kwargs)
        if interpolation not in image_resizing.INTERPOLATIONS:
            raise ValueError(f"Resizing layer '{self.name}': Invalid value for argument `interpolation`. Expected "
                             f"one of {image_resizing.INTERPOLATIONS}. Received: interpolation={interpolation}")
        if fill_mode != "constant":
            raise ValueError(f"Resizing layer '{self.name}': Invalid value for argument `fill_mode`. Only "
                             f"`'constant'` is supported. Received: fill_mode={fill_mode}")
        if pad_to_aspect_ratio and crop_to_aspect_ratio:
            raise ValueError(f"Resizing layer '{self.name}': Only one of `pad_to_aspect_ratio` & "
                             "`crop_to_aspect_ratio` can be `True`.")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs):
        x = np.asarray(inputs)
        h = self._height_axis(x.ndim)
        in_height, in_width = x.shape[h], x.shape[h + 1]
        if self.crop_to_aspect_ratio:
            top, left, height, width = image_resizing.aspect_crop_box(in_height, in_width, self.height, self.width)
            index = [slice(None)] * x.ndim
            index[h], index[h + 1] = slice(top, top + height), slice(left, left + width)
            x = x[tuple(index)]
        elif self.pad_to_aspect_ratio:
            rows, cols = image_resizing.aspect_padding(in_height, in_width, self.height, self.width)
            pad = [(0, 0)] * x.ndim
            pad[h], pad[h + 1] = (rows, rows), (cols, cols)
            x = np.pad(x, pad, constant_values=np.asarray(self.fill_value).astype(x.dtype))
        out = image_resizing.resize(x, self.height, self.width, self.interpolation, self.antialias, height_axis=h)
        if x.dtype.kind in "iu" and out.dtype != x.dtype:  # Keras: round, then saturate into the integer dtype
            info = np.iinfo(x.dtype)
            out = np.clip(np.round(out), info.min, info.max).astype(x.dtype)
        return out

    def compute_output_spec(self, inputs):
        dtype = inputs.dtype if str(inputs.dtype).startswith(("int", "uint")) else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}
