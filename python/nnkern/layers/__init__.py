"""nnkern.layers: Keras 3's layers on numpy arrays (plus the Keras 1/2 spellings old code uses)."""
import sys as _sys

from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.engine.registry import deserialize, register_namespace
from nnkern.engine.registry import serialize_layer as serialize
from nnkern.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from nnkern.layers.applications_layers import CustomScaleLayer, LayerScale, StochasticDepth
from nnkern.layers.attention import AdditiveAttention, Attention
from nnkern.layers.bidirectional import Bidirectional
from nnkern.layers.conv_lstm import ConvLSTM2D
from nnkern.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                                         Convolution1D, Convolution1DTranspose, Convolution2D, Convolution2DTranspose,
                                         Convolution3D, Convolution3DTranspose, Deconvolution2D, Deconvolution3D)
from nnkern.layers.convolutional_depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                                   SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D)
from nnkern.layers.core import Activation, Dense, Embedding, Identity, Input, InputLayer, Lambda, Masking
from nnkern.layers.gru import GRU, GRUCell
from nnkern.layers.einsum_dense import EinsumDense
from nnkern.layers.legacy import TimeDistributedDense, TimeDistributedMerge, merge
from nnkern.layers.lstm import LSTM, LSTMCell
from nnkern.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                   average, concatenate, dot, maximum, minimum, multiply, subtract)
from nnkern.layers.multi_head_attention import MultiHeadAttention
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
from nnkern.layers.rnn import RNN, StackedRNNCells
from nnkern.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from nnkern.layers.tf_op_lambda import SlicingOpLambda, TFOpLambda
from nnkern.layers.reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D

from nnkern.layers.wrappers import TimeDistributed, Wrapper

# deserialize() finds every Layer class exported here by its name (the namespace is read live).
register_namespace(globals())

# The public names of Keras 1/2's layer modules (those nnkern has): `from keras.layers.core import *` in
# old code must bring Dropout, Flatten, ... as it did.
_KERAS2_MODULE_NAMES = {
    "core": ("Activation", "ActivityRegularization", "Dense", "Dropout", "Flatten", "Lambda", "Masking", "Permute",
             "RepeatVector", "Reshape", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
             "TimeDistributedDense", "TFOpLambda", "SlicingOpLambda"),
    "convolutional": ("Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "Convolution1D", "Convolution2D",
                      "Deconvolution2D", "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
                      "SeparableConvolution2D", "DepthwiseConv1D", "DepthwiseConv2D", "Cropping1D", "Cropping2D",
                      "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
                      # Keras 1's convolutional module also held the pooling layers
                      "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"),
    "pooling": ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D",
                "AvgPool1D", "AvgPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPool1D",
                "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"),
    "normalization": ("BatchNormalization", "LayerNormalization"),
    "recurrent": ("RNN", "LSTM", "LSTMCell"),
    "merge": ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
              "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot", "merge"),
    "embeddings": ("Embedding",),
    "advanced_activations": ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"),
    "noise": (),
    "local": (),
}


def _from_package(name):
    # A Keras 1/2 module held more than its Keras 3 namesake (`from keras.layers.core import Dropout,
    # Flatten`, `from keras.layers.convolutional import MaxPooling2D, ZeroPadding2D`): names missing from
    # nnkern's real modules come from the package.
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def _keras2_module(name, names):
    """nnkern.layers.<name> as Keras 2's keras.layers.<name>: a real module of that name gains the names
    (through its module __getattr__); a Keras 2 module nnkern does not have becomes a module of its own."""
    import types
    module = _sys.modules.get(f"{__name__}.{name}") or globals().get(name)
    if not isinstance(module, types.ModuleType) or module is _sys.modules[__name__]:
        module = types.ModuleType(f"{__name__}.{name}", f"Keras 1/2's keras.layers.{name} (names from nnkern.layers).")
        _sys.modules[module.__name__] = module
        globals().setdefault(name, module)  # `layers.merge` stays Keras 1's merge() function
    module.__getattr__ = _from_package
    module.__all__ = sorted(set(getattr(module, "__all__", ())) | set(names))
    return module


for _name, _names in _KERAS2_MODULE_NAMES.items():
    _keras2_module(_name, _names)


def get(identifier):
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret layer identifier: {identifier}")

