"""Keras 1/2's layer module paths under nnkern.layers: `from keras.layers.core import *` in old code must bring
Dropout, Flatten, ... as it did, and `from keras.layers.merge import concatenate` must work.

A Keras 1/2 module that nnkern also has (core, convolutional, pooling, normalization) gains the names at the
end of its own source (`__getattr__ = keras2_modules.package_attribute`, `__all__ = keras2_modules.all_names(...)`):
the families are imported lazily (see layers/__init__.py), so the package cannot reach into them when it is
imported. The others become modules of their own, made by `nnkern.layers` (`make_missing_modules`)."""
import sys
import types

PACKAGE = "nnkern.layers"

# The public names of Keras 1/2's layer modules (those nnkern has).
KERAS2_MODULE_NAMES = {
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
# Those with a module of the same name in nnkern.layers, which extends itself.
NNKERN_HAS = ("core", "convolutional", "pooling", "normalization")


def package_attribute(name):
    """A Keras 1/2 module's `__getattr__`: what it held beyond nnkern's module of its name (`from
    keras.layers.convolutional import MaxPooling2D`) comes from the package."""
    try:
        return getattr(sys.modules[PACKAGE], name)
    except AttributeError:
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None


def all_names(module_name, own_names):
    """`__all__` of nnkern's module `module_name`: its own names and those of Keras 1/2's module of its name."""
    return sorted(set(own_names) | set(KERAS2_MODULE_NAMES[module_name.rsplit(".", 1)[1]]))


def make_missing_modules():
    """{name: module} of Keras 1/2's layer modules nnkern does not have, each made and put in sys.modules as
    nnkern.layers.<name> (names from the package)."""
    made = {}
    for name, names in KERAS2_MODULE_NAMES.items():
        if name in NNKERN_HAS:
            continue
        module = types.ModuleType(f"{PACKAGE}.{name}", f"Keras 1/2's keras.layers.{name} (names from nnkern.layers).")
        module.__getattr__ = package_attribute
        module.__all__ = sorted(names)
        sys.modules[module.__name__] = module
        made[name] = module
    return made
