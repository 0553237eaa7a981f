"""nnkern.layers: Keras 3's layers on numpy arrays (plus the Keras 1/2 spellings old code uses)."""
import sys as _sys

from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Convolution1D,
                                         Convolution1DTranspose, Convolution2D, Convolution2DTranspose,
                                         Deconvolution2D)
from nnkern.layers.convolutional_depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                                   SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D)
from nnkern.layers.core import Activation, Dense, Embedding, Identity, Input, InputLayer, Lambda, Masking
from nnkern.layers.legacy import TimeDistributedDense, TimeDistributedMerge, merge
from nnkern.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                   average, concatenate, dot, maximum, minimum, multiply, subtract)
from nnkern.layers.pooling_global import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                                          GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                          GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                          GlobalMaxPooling3D)
from nnkern.layers.pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D,
                                   MaxPooling1D, MaxPooling2D)
from nnkern.layers.recurrent import LSTM, RNN, Bidirectional, LSTMCell
from nnkern.layers.regularization import (ActivityRegularization, Dropout, SpatialDropout1D, SpatialDropout2D,
                                          SpatialDropout3D)
from nnkern.layers.reshaping import (Cropping1D, Cropping2D, Flatten, Permute, RepeatVector, Reshape, UpSampling1D,
                                     UpSampling2D, ZeroPadding1D, ZeroPadding2D)
from nnkern.layers.wrappers import TimeDistributed, Wrapper

# Keras 1/2 module paths (`from keras.layers.embeddings import Embedding`, `keras.layers.merge`, ...) resolve
# to this package, so `import nnkern as keras` keeps such imports working.
for _old in ("embeddings", "merge", "recurrent", "convolutional", "pooling", "normalization", "advanced_activations",
             "noise", "local"):
    _sys.modules.setdefault(f"{__name__}.{_old}", _sys.modules[__name__])


def _from_package(name):
    # A Keras 1/2 module held more than its Keras 3 namesake (`from keras.layers.core import Dropout,
    # Flatten`, `from keras.layers.convolutional import MaxPooling2D, ZeroPadding2D`): names missing from
    # nnkern's real modules come from the package.
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


for _module in (core, convolutional, pooling, recurrent):
    _module.__getattr__ = _from_package


def serialize(layer):
    from nnkern.models.serialization import serialize_layer
    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """A layer (or model) from its Keras config dict {'class_name': ..., 'config': {...}}."""
    from nnkern import models

    class_name = config["class_name"]
    custom_objects = custom_objects or {}
    registered = config.get("registered_name")
    cls = (custom_objects.get(class_name) or custom_objects.get(registered or "")
           or globals().get(class_name) or getattr(models, class_name, None))
    if str(config.get("module", "")).startswith("keras.src.ops"):  # an op node of a functional graph
        from nnkern.engine.symbolic_ops import OPERATIONS
        cls = OPERATIONS.get(class_name, cls)
    if cls is None:
        raise ValueError(f"Unknown layer: '{class_name}'. Please ensure you are using a `keras.utils."
                         "custom_object_scope` and that this object is included in the scope.")
    inner = dict(config.get("config", {}))
    if hasattr(cls, "from_config"):
        try:
            layer = cls.from_config(inner, custom_objects=custom_objects)
        except TypeError:
            layer = cls.from_config(inner)
    else:
        layer = cls(**inner)
    build_config = config.get("build_config")
    if build_config and not layer.built and "input_shape" in build_config:
        layer.build(build_config["input_shape"])
    return layer


def get(identifier):
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret layer identifier: {identifier}")
