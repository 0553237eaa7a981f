"""Convolution layers (channels_last): Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose,
Conv3DTranspose, over the compiled kernels `_core.conv1d`, `_core.conv2d`, `_core.conv3d`,
`_core.conv2d_transpose` and `_core.conv3d_transpose`. Keras 3 argument names, defaults,
validation, weight names/shapes and output-shape rules (see base_conv.py).
"""
from nnkern import _core
from nnkern.layers import keras2_modules
from nnkern.layers.base_conv import BaseConv, BaseConvTranspose

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1D",
           "Convolution2D", "Convolution3D", "Convolution1DTranspose", "Convolution2DTranspose",
           "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D"]


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels); padding 'valid', 'same' or 'causal'."""
    rank = 1
    kernel_fn = staticmethod(_core.conv1d)


class Conv2D(BaseConv):
    """2-D convolution over (batch, height, width, channels)."""
    rank = 2
    kernel_fn = staticmethod(_core.conv2d)


class Conv3D(BaseConv):
    """3-D convolution over (batch, depth, height, width, channels)."""
    rank = 3
    kernel_fn = staticmethod(_core.conv3d)


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1-D convolution over (batch, steps, channels), run by the 2-D kernel as an image of
    height 1: (N, L, C) is (N, 1, L, C), and the kernel (k, f, c) is (1, k, f, c) in memory."""
    rank = 1
    kernel_fn = staticmethod(_core.conv2d_transpose)

    def _kernel_arguments(self):
        output_padding = None if self.output_padding is None else (0, self.output_padding[0])
        return (self._w[None], self._b, (1, self.strides[0]), self.padding, output_padding,
                (1, self.dilation_rate[0]), self._fused or "linear")

    def _forward(self, x):
        return super()._forward(x[:, None])[:, 0]


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution over (batch, height, width, channels)."""
    rank = 2
    kernel_fn = staticmethod(_core.conv2d_transpose)


class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3-D convolution over (batch, depth, height, width, channels)."""
    rank = 3
    kernel_fn = staticmethod(_core.conv3d_transpose)


# Keras's aliases (Deconvolution3D: Keras 2's).
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Conv2DTranspose
Deconvolution3D = Conv3DTranspose


# Keras 1/2's keras.layers.convolutional held more layers than this module (see keras2_modules): old code's
# `from keras.layers.convolutional import *` brings them from the package.
__getattr__ = keras2_modules.package_attribute
__all__ = keras2_modules.all_names(__name__, __all__)
