"""Global average / max pooling over the time axis (1D) or the spatial axes (2D, 3D): the average of
channels_last float32 through the compiled `_core.global_avg_pool`, the rest in numpy.
GlobalAveragePooling1D honours a time mask (masked steps are left out of the mean)."""
import numpy as np

from nnkern import _core

from nnkern.layers.base_pooling import BaseGlobalPooling

__all__ = ["GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D"]


class _GlobalAverage(BaseGlobalPooling):
    def call(self, inputs):
        if self.data_format == "channels_last" and getattr(inputs, "dtype", None) == np.float32:
            y = _core.global_avg_pool(inputs)  # ~3x numpy's mean over non-contiguous axes (EfficientNet's SE)
            return y.reshape((y.shape[0],) + (1,) * self.rank + (y.shape[1],)) if self.keepdims else y
        return np.mean(inputs, axis=self._axes, keepdims=self.keepdims, dtype=np.float32)


class _GlobalMax(BaseGlobalPooling):
    def call(self, inputs):
        return np.max(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalAverage):
    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._axes[0]
        m = np.expand_dims(np.asarray(mask, dtype=bool), 2 if self.data_format == "channels_last" else 1)
        x = np.where(m, inputs, 0).astype(np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sum(x, axis=steps_axis, keepdims=self.keepdims) / np.sum(
                m.astype(np.float32), axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    rank = 2


class GlobalAveragePooling3D(_GlobalAverage):
    rank = 3


class GlobalMaxPooling1D(_GlobalMax):
    rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    rank = 2


class GlobalMaxPooling3D(_GlobalMax):
    rank = 3


GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
