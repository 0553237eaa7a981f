"""nnkern.layers: Keras 3's layers on numpy arrays (plus the Keras 1/2 spellings old code uses)."""
import sys as _sys

from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.engine.registry import deserialize, register_namespace
from nnkern.engine.registry import serialize_layer as serialize
from nnkern.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from nnkern.layers.bidirectional import Bidirectional
from nnkern.layers.conv_lstm import ConvLSTM2D
from nnkern.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                                         Convolution1D, Convolution1DTranspose, Convolution2D, Convolution2DTranspose,
                                         Convolution3D, Convolution3DTranspose, Deconvolution2D, Deconvolution3D)
from nnkern.layers.convolutional_depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                                   SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D)
from nnkern.layers.core import Activation, Dense, Embedding, Identity, Input, InputLayer, Lambda, Masking
from nnkern.layers.legacy import TimeDistributedDense, TimeDistributedMerge, merge
from nnkern.layers.lstm import LSTM, LSTMCell
from nnkern.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                   average, concatenate, dot, maximum, minimum, multiply, subtract)
from nnkern.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                         UnitNormalization)
from nnkern.layers.pooling_global import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                                          GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                          GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                          GlobalMaxPooling3D)
from nnkern.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                   AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from nnkern.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from nnkern.layers.regularization import (ActivityRegularization, Dropout, SpatialDropout1D, SpatialDropout2D,
                                          SpatialDropout3D)
from nnkern.layers.reshaping import (Cropping1D, Cropping2D, Flatten, Permute, RepeatVector, Reshape, UpSampling1D,
                                     UpSampling2D, ZeroPadding1D, ZeroPadding2D)
from nnkern.layers.reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D
from nnkern.layers.rnn import RNN
from nnkern.layers.wrappers import TimeDistributed, Wrapper

# deserialize() finds every Layer class exported here by its name (the namespace is read live).
register_namespace(globals())

# Keras 1/2 module paths (`from keras.layers.embeddings import Embedding`, `keras.layers.merge`, ...) resolve
# to this package, so `import nnkern as keras` keeps such imports working.
for _old in ("embeddings", "merge", "recurrent", "convolutional", "pooling", "normalization", "advanced_activations",
             "noise", "local"):
    _sys.modules.setdefault(f"{__name__}.{_old}", _sys.modules[__name__])
recurrent = _sys.modules[f"{__name__}.recurrent"]  # a real module until the split into rnn, lstm, bidirectional


def _from_package(name):
    # A Keras 1/2 module held more than its Keras 3 namesake (`from keras.layers.core import Dropout,
    # Flatten`, `from keras.layers.convolutional import MaxPooling2D, ZeroPadding2D`): names missing from
    # nnkern's real modules come from the package.
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


for _module in (core, convolutional, pooling):
    _module.__getattr__ = _from_package


def get(identifier):
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret layer identifier: {identifier}")

