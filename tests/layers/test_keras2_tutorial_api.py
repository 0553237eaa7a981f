"""Keras 2 tutorial code under `import nnkern as keras`: the layer module paths of Keras 1/2
(`from keras.layers.core import *`), `K.function` / `K.learning_phase`, TF-op nodes (TFOpLambda) used in
code, and the errors of each."""
import subprocess
import sys

import numpy as np
import pytest

import nnkern
from nnkern import backend as K
from nnkern import layers
from nnkern.layers import SlicingOpLambda, TFOpLambda

# Names Keras 2.x's modules exported (keras/layers/<module>.py of Keras 2.3, those nnkern has).
KERAS2_NAMES = {
    "core": ["Activation", "ActivityRegularization", "Dense", "Dropout", "Flatten", "Lambda", "Masking", "Permute",
             "RepeatVector", "Reshape", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"],
    "convolutional": ["Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv1D", "SeparableConv2D",
                      "DepthwiseConv2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
                      "Cropping1D", "Cropping2D", "Convolution1D", "Convolution2D", "Deconvolution2D"],
    "pooling": ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalMaxPooling1D",
                "GlobalAveragePooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "MaxPool1D", "AvgPool2D",
                "GlobalMaxPool2D", "GlobalAvgPool1D"],
    "recurrent": ["RNN", "LSTM", "LSTMCell"],
    "merge": ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
              "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"],
    "normalization": ["BatchNormalization"],
    "embeddings": ["Embedding"],
    "advanced_activations": ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"],
}


@pytest.mark.parametrize("module", sorted(KERAS2_NAMES))
def test_star_import_gives_keras2_names(module):
    namespace = {}
    exec(f"from nnkern.layers.{module} import *", namespace)
    for name in KERAS2_NAMES[module]:
        assert namespace.get(name) is getattr(layers, name), name


def test_keras2_imports_in_a_fresh_process():
    code = ("import nnkern as keras\n"
            "from nnkern.layers.core import Dense, Dropout, Flatten\n"
            "from nnkern.layers.convolutional import Conv2D, MaxPooling2D, ZeroPadding2D\n"
            "from nnkern.layers.recurrent import LSTM\n"
            "from nnkern.layers.merge import concatenate\n"
            "from nnkern.layers.normalization import BatchNormalization\n"
            "from nnkern.layers.embeddings import Embedding\n"
            "from nnkern.layers.advanced_activations import LeakyReLU\n"
            "from nnkern.regularizers import l2\n"
            "from nnkern.constraints import max_norm\n"
            "from nnkern import backend as K\n"
            "assert keras.layers.merge is keras.layers.legacy.merge  # Keras 1's merge() stays a function\n"
            "Dense(2, kernel_regularizer=l2(0.01), kernel_constraint=max_norm(2.0))\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def _mlp():
    model = nnkern.Sequential([nnkern.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.5),
                               layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    return model, x


def test_k_function_outputs_of_inner_layers():
    model, x = _mlp()
    first = K.function([model.input], [model.layers[0].output])
    (hidden,) = first([x])
    w, b = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ w + b, 0), rtol=1e-6, atol=1e-6)
    both = K.function(model.inputs, [model.layers[0].output, model.output])
    got = both([x])
    np.testing.assert_allclose(got[1], model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    single = K.function([model.input], model.output)  # one tensor -> one array
    np.testing.assert_allclose(single([x]), got[1], rtol=1e-6, atol=1e-6)
    tail = K.function([model.layers[1].input], [model.output])  # from an inner tensor on
    np.testing.assert_allclose(tail([hidden])[0], got[1], rtol=1e-6, atol=1e-6)


def test_k_function_learning_phase():
    model, x = _mlp()
    f = K.function([model.input, K.learning_phase()], [model.layers[1].output])
    np.testing.assert_array_equal(f([x, 0])[0], K.function([model.input], [model.layers[0].output])([x])[0])
    dropped = f([x, 1])[0]  # training: Dropout zeroes about half and doubles the rest
    kept = f([x, 0])[0]
    assert np.all((dropped == 0) | np.isclose(dropped, 2 * kept))


@pytest.mark.parametrize("make,message", [
    (lambda m: K.function([m.input], [np.ones(3)]), "must be symbolic tensors"),
    (lambda m: K.function([m.output], [m.layers[0].output]), "disconnected"),
    (lambda m: K.function([m.input], [m.output], updates=[1]), "updates"),
    (lambda m: K.function([m.input], [m.output])([np.ones((1, 4)), np.ones((1, 4))]), "expected 1 input"),
])
def test_k_function_errors(make, message):
    model, _ = _mlp()
    with pytest.raises(ValueError, match=message):
        make(model)


def test_tf_op_lambda_in_code_and_config():
    x = nnkern.Input((3, 4))
    y = TFOpLambda("math.reduce_mean")(x, axis=[1], keepdims=True)
    z = SlicingOpLambda("__operators__.getitem")(x, slice_spec=[{"start": None, "stop": None, "step": None},
                                                                 Ellipsis, {"start": 1, "stop": None, "step": 2}])
    model = nnkern.Model(x, [y, z])
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    got_y, got_z = model.predict(data, verbose=0)
    np.testing.assert_allclose(got_y, data.mean(axis=1, keepdims=True))
    np.testing.assert_array_equal(got_z, data[:, ..., 1::2])
    assert model.layers[1].get_config()["function"] == "math.reduce_mean"
    clone = TFOpLambda.from_config(model.layers[1].get_config())
    assert clone.function == "math.reduce_mean"


@pytest.mark.parametrize("function", ["math.bessel_i0", "", None, 3, "__builtins__.open"])
def test_tf_op_lambda_unknown_function(function):
    with pytest.raises(ValueError, match=r"nnkern does not implement the TensorFlow function 'tf\."):
        TFOpLambda(function)
