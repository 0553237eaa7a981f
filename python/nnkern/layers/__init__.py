"""nnkern.layers: Keras 3's layers on numpy arrays (plus the Keras 1/2 spellings old code uses).

A family module is imported on first use of one of its names (`layers.Dense`, `from nnkern.layers import LSTM`,
a model file naming the class, through the module `__getattr__` below): `import nnkern` compiles and runs none of
the families a program does not use.
"""
import importlib
import sys as _sys
from typing import TYPE_CHECKING

from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.engine.registry import deserialize, register_namespace
from nnkern.engine.registry import serialize_layer as serialize
from nnkern.layers import keras2_modules

# The public names of each family module. A new layer: its name here, and in the imports for type checkers
# below (tests/test_lazy_imports.py checks that the two agree).
FAMILIES = {
    "activation_layers": ("ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU"),
    "applications_layers": ("CustomScaleLayer", "LayerScale", "StochasticDepth"),
    "attention": ("AdditiveAttention", "Attention"),
    "bidirectional": ("Bidirectional",),
    "conv_lstm": ("ConvLSTM2D",),
    "convolutional": ("Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
                      "Convolution1D", "Convolution1DTranspose", "Convolution2D", "Convolution2DTranspose",
                      "Convolution3D", "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D"),
    "convolutional_depthwise": ("DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
                                "SeparableConvolution1D", "SeparableConvolution2D"),
    "core": ("Activation", "Dense", "Embedding", "Identity", "Input", "InputLayer", "Lambda", "Masking"),
    "einsum_dense": ("EinsumDense",),
    "gru": ("GRU", "GRUCell"),
    "legacy": ("TimeDistributedDense", "TimeDistributedMerge", "merge"),
    "lstm": ("LSTM", "LSTMCell"),
    "merging": ("Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add",
                "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"),
    "multi_head_attention": ("MultiHeadAttention",),
    "normalization": ("BatchNormalization", "GroupNormalization", "LayerNormalization", "UnitNormalization"),
    "pooling": ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
                "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D"),
    "pooling_global": ("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
                       "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
                       "GlobalMaxPool3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"),
    "preprocessing": ("CenterCrop", "Normalization", "Rescaling", "Resizing"),
    "regularization": ("ActivityRegularization", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
                       "SpatialDropout3D"),
    "reshaping": ("Cropping1D", "Cropping2D", "Flatten", "Permute", "RepeatVector", "Reshape", "UpSampling1D",
                  "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D"),
    "reshaping3d": ("Cropping3D", "UpSampling3D", "ZeroPadding3D"),
    "rnn": ("RNN", "StackedRNNCells"),
    "simple_rnn": ("SimpleRNN", "SimpleRNNCell"),
    "tf_op_lambda": ("SlicingOpLambda", "TFOpLambda"),
    "wrappers": ("TimeDistributed", "Wrapper"),
}
_FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}

if TYPE_CHECKING:  # what type checkers and editors read; at run time __getattr__ imports these on first use
    from nnkern.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
    from nnkern.layers.applications_layers import CustomScaleLayer, LayerScale, StochasticDepth
    from nnkern.layers.attention import AdditiveAttention, Attention
    from nnkern.layers.bidirectional import Bidirectional
    from nnkern.layers.conv_lstm import ConvLSTM2D
    from nnkern.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                                             Conv3DTranspose, Convolution1D, Convolution1DTranspose, Convolution2D,
                                             Convolution2DTranspose, Convolution3D, Convolution3DTranspose,
                                             Deconvolution2D, Deconvolution3D)
    from nnkern.layers.convolutional_depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                                       SeparableConv2D, SeparableConvolution1D,
                                                       SeparableConvolution2D)
    from nnkern.layers.core import Activation, Dense, Embedding, Identity, Input, InputLayer, Lambda, Masking
    from nnkern.layers.einsum_dense import EinsumDense
    from nnkern.layers.gru import GRU, GRUCell
    from nnkern.layers.legacy import TimeDistributedDense, TimeDistributedMerge, merge
    from nnkern.layers.lstm import LSTM, LSTMCell
    from nnkern.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                       average, concatenate, dot, maximum, minimum, multiply, subtract)
    from nnkern.layers.multi_head_attention import MultiHeadAttention
    from nnkern.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                             UnitNormalization)
    from nnkern.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                       AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                                       MaxPooling3D)
    from nnkern.layers.pooling_global import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                                              GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                              GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                              GlobalMaxPooling2D, GlobalMaxPooling3D)
    from nnkern.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
    from nnkern.layers.regularization import (ActivityRegularization, Dropout, SpatialDropout1D, SpatialDropout2D,
                                              SpatialDropout3D)
    from nnkern.layers.reshaping import (Cropping1D, Cropping2D, Flatten, Permute, RepeatVector, Reshape,
                                         UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D)
    from nnkern.layers.reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D
    from nnkern.layers.rnn import RNN, StackedRNNCells
    from nnkern.layers.simple_rnn import SimpleRNN, SimpleRNNCell
    from nnkern.layers.tf_op_lambda import SlicingOpLambda, TFOpLambda
    from nnkern.layers.wrappers import TimeDistributed, Wrapper

__all__ = sorted(_FAMILY_OF) + ["InputSpec", "Layer", "deserialize", "serialize", "get"]


def __getattr__(name):
    family = _FAMILY_OF.get(name)
    if family is not None:
        value = getattr(importlib.import_module(f"{__name__}.{family}"), name)
        globals()[name] = value  # found directly from now on
        return value
    if name.isidentifier() and not name.startswith("__"):  # a submodule not imported yet: `layers.legacy`
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


# deserialize() finds every Layer class exported here by its name (looked up on the module, so a family is
# imported when a file names one of its classes).
register_namespace(_sys.modules[__name__])

for _name, _module in keras2_modules.make_missing_modules().items():
    if _name not in _FAMILY_OF:  # `layers.merge` stays Keras 1's merge() function
        globals()[_name] = _module


def get(identifier):
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret layer identifier: {identifier}")
