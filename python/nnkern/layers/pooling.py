"""Windowed pooling layers (channels_last): MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and Keras's aliases
MaxPool1D/2D/3D, AvgPool1D/2D/3D, over the compiled `_core.max_pool1d/2d/3d`, `_core.avg_pool1d/2d/3d` kernels.
Average pooling's 'same' windows average over the in-bounds values only, as Keras does. Global pooling
lives in pooling_global.py."""
from nnkern import _core
from nnkern.layers import keras2_modules
from nnkern.layers.base_pooling import BasePooling

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
           "AveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D"]


class _Pooling2D(BasePooling):
    """The 2-D pooling layers' constructor, with Keras's default pool_size (2, 2)."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class _Pooling3D(BasePooling):
    """The 3-D pooling layers' constructor, with Keras's default pool_size (2, 2, 2)."""
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling1D(BasePooling):
    """Maximum over windows of the steps axis of (batch, steps, channels)."""
    rank = 1
    kernel_fn = staticmethod(_core.max_pool1d)
    keeps_integer_dtype = True


class AveragePooling1D(BasePooling):
    """Mean over windows of the steps axis of (batch, steps, channels)."""
    rank = 1
    kernel_fn = staticmethod(_core.avg_pool1d)


class MaxPooling2D(_Pooling2D):
    """Maximum over windows of the spatial axes of (batch, height, width, channels)."""
    kernel_fn = staticmethod(_core.max_pool2d)
    keeps_integer_dtype = True


class AveragePooling2D(_Pooling2D):
    """Mean over windows of the spatial axes of (batch, height, width, channels)."""
    kernel_fn = staticmethod(_core.avg_pool2d)


class MaxPooling3D(_Pooling3D):
    """Maximum over windows of the spatial axes of (batch, depth, height, width, channels)."""
    kernel_fn = staticmethod(_core.max_pool3d)
    keeps_integer_dtype = True


class AveragePooling3D(_Pooling3D):
    """Mean over windows of the spatial axes of (batch, depth, height, width, channels)."""
    kernel_fn = staticmethod(_core.avg_pool3d)


# Keras's aliases.
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D


# Keras 1/2's keras.layers.pooling held more layers than this module (see keras2_modules): old code's
# `from keras.layers.pooling import *` brings them from the package.
__getattr__ = keras2_modules.package_attribute
__all__ = keras2_modules.all_names(__name__, __all__)
