"""Shape-only 3-D layers on (batch, depth, height, width, channels) (or channels_first): ZeroPadding3D,
Cropping3D, UpSampling3D, as Keras 3's. They keep the input dtype."""
import numpy as np

from nnkern.engine.argument_validation import standardize_data_format, standardize_tuple
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers.reshaping import spatial_pairs

__all__ = ["ZeroPadding3D", "Cropping3D", "UpSampling3D"]


class _Spatial3D(Layer):
    """data_format and the three spatial axes of a 5-D input."""
    _plan_trusted = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)

    @property
    def _first_axis(self):
        return 2 if self.data_format == "channels_first" else 1

    def _spatial_index(self, slices):
        index = [slice(None)] * 5
        index[self._first_axis:self._first_axis + 3] = slices
        return tuple(index)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class ZeroPadding3D(_Spatial3D):
    """Pads the three spatial axes with zeros: int, (d, h, w) or ((front, back), (top, bottom), (left, right))."""

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = spatial_pairs(padding, "padding", rank=3)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, (before, after) in enumerate(self.padding):
            axis = self._first_axis + i
            if out[axis] is not None:
                out[axis] += before + after
        return tuple(out)

    def call(self, inputs):
        pads = [(0, 0)] * 5
        pads[self._first_axis:self._first_axis + 3] = self.padding
        return np.pad(inputs, pads)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class Cropping3D(_Spatial3D):
    """Crops the three spatial axes: int, (d, h, w) or ((front, back), (top, bottom), (left, right))."""

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = spatial_pairs(cropping, "cropping", rank=3)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, crop in enumerate(self.cropping):
            axis = self._first_axis + i
            if out[axis] is not None:
                out[axis] -= sum(crop)
                if out[axis] <= 0:
                    raise ValueError(f"Values in `cropping` argument of Cropping3D layer '{self.name}' should be "
                                     "smaller than the corresponding spatial dimension of the input. Received: "
                                     f"input_shape={tuple(input_shape)}, cropping={self.cropping}")
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        size = inputs.shape[self._first_axis:self._first_axis + 3]
        return inputs[self._spatial_index([slice(b, n - a) for (b, a), n in zip(self.cropping, size)])]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling3D(_Spatial3D):
    """Repeats each cell `size` times along each spatial axis (nearest neighbour)."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = standardize_tuple(size, 3, "size")

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, factor in enumerate(self.size):
            axis = self._first_axis + i
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def call(self, inputs):
        for i, factor in enumerate(self.size):
            inputs = np.repeat(inputs, factor, axis=self._first_axis + i)
        return inputs

    def get_config(self):
        return {**super().get_config(), "size": self.size}
