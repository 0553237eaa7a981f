"""Goldens for the prediction plan's BatchNormalization folding: small models saved by Keras 3 as `.keras`
files under data/fusion_models/, with random BatchNormalization statistics (Keras initialises them to an
identity), an input and Keras's output. Each model has the patterns the plan folds (Conv2D, DepthwiseConv2D
and Dense, each followed by BatchNormalization and maybe an activation layer) and ones it must not fold (a
convolution with an activation of its own, a convolution output feeding two layers, a normalization output
feeding two layers, BatchNormalization over another axis); "folds" records how many the plan should fold, and
"residual_folds" how many of those also take the Add after them (and the activation after that) into the kernel,
"padded" the ZeroPadding2D layers whose padding the folded convolution after them does itself.
"""
import pathlib

import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import save_if_changed, seeded

MODELS_DIR = "fusion_models"


def _bn(name, axis=-1):
    return keras.layers.BatchNormalization(axis=axis, name=name)


def _cnn(input_shape):
    L = keras.layers
    inp = keras.Input(input_shape)
    x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="stem")(inp)
    x = _bn("stem_bn")(x)
    x = L.ReLU(6.0, name="stem_relu6")(x)                               # fold 1: conv + bn + relu6
    y = L.Conv2D(16, 1, name="expand")(x)
    y = _bn("expand_bn")(y)
    y = L.Activation("relu", name="expand_relu")(y)                     # fold 2: 1x1 conv + bn + relu
    y = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="dw")(y)
    y = _bn("dw_bn")(y)
    y = L.Activation("swish", name="dw_swish")(y)                       # fold 3: depthwise + bn + swish
    y = L.Conv2D(8, 1, use_bias=False, name="project")(y)
    y = _bn("project_bn")(y)                                            # fold 4: conv + bn, no activation
    x = L.Add(name="residual")([x, y])
    z = L.Conv2D(8, 3, padding="same", activation="relu", name="conv_act")(x)
    z = _bn("conv_act_bn")(z)                                           # not folded: the conv has an activation
    t = L.Conv2D(8, 3, padding="same", name="shared")(z)
    u = _bn("shared_bn")(t)                                             # not folded: `shared` feeds two layers
    t = L.Add(name="shared_add")([t, u])
    v = L.Conv2D(8, 1, name="branch")(t)
    v = _bn("branch_bn")(v)                                             # fold 5: bn feeds two layers, no activation
    v = L.Add(name="branch_add")([L.Activation("relu", name="branch_relu")(v), v])
    w = L.Conv2D(8, 1, name="axis1")(v)
    w = _bn("axis1_bn", axis=1)(w)                                      # not folded: normalizes the height axis
    p = L.GlobalAveragePooling2D(name="pool")(w)
    p = L.Dense(6, name="fc")(p)
    p = _bn("fc_bn")(p)
    p = L.Activation("sigmoid", name="fc_sigmoid")(p)                   # fold 6: dense + bn + sigmoid
    return keras.Model(inp, L.Dense(3, name="head")(p), name="cnn"), 6, 1, []


def _residual(input_shape):
    """ResNet's blocks: the Add after a folded convolution (and the ReLU after the Add) go into its kernel's
    epilogue, on the direct (3x3, 16 channels), pointwise (1x1) and im2col (1x1 strided; 3x3 to 20 channels) kernels."""
    L = keras.layers

    def conv_bn(x, filters, k, name, act=None, strides=1):
        x = L.Conv2D(filters, k, strides=strides, padding="same", name=name)(x)
        x = _bn(name + "_bn")(x)
        return x if act is None else L.Activation(act, name=name + "_" + act)(x)

    inp = keras.Input(input_shape)
    x = conv_bn(inp, 16, 3, "stem", "relu")
    y = conv_bn(x, 16, 3, "id_a", "relu")
    y = conv_bn(y, 16, 3, "id_b")                                        # residual 1: direct 3x3, + relu
    x = L.Activation("relu", name="id_relu")(L.Add(name="id_add")([y, x]))
    s = conv_bn(x, 20, 1, "proj_short", strides=2)                       # residual 2: 1x1 s2 (im2col) + relu6,
    y = conv_bn(x, 20, 1, "proj_a", strides=2)                           # or proj_b (pointwise) with proj_short
    y = conv_bn(y, 20, 1, "proj_b")                                      # as its residual: one of the two
    x = L.ReLU(6.0, name="proj_relu6")(L.Add(name="proj_add")([s, y]))
    y = conv_bn(x, 20, 3, "deep")                                        # residual 3: im2col 3x3, no activation
    x = L.Add(name="deep_add")([x, y])                                   # (the sum feeds two layers)
    y = conv_bn(x, 20, 1, "three")                                       # not: an Add of three
    t = L.Add(name="three_add")([x, y, x])
    y = conv_bn(t, 20, 1, "self")                                        # not: an Add of a tensor and itself
    t = L.Add(name="self_add")([y, y])
    p = L.GlobalAveragePooling2D(name="pool")(L.Add(name="out_add")([t, x]))
    return keras.Model(inp, L.Dense(3, name="head")(p), name="residual"), 9, 3, []


def _padding(input_shape):
    """MobileNetV2's and EfficientNet's ZeroPadding2D before a `valid` stride-2 convolution, padding as `same`
    would: the folded convolution pads itself. Odd and even sizes; paddings that are not `same` stay."""
    L = keras.layers
    inp = keras.Input(input_shape)                                       # (9, 10): same pads (1, 1), (0, 1)
    x = L.ZeroPadding2D(((1, 1), (0, 1)), name="pad_dw")(inp)
    x = L.DepthwiseConv2D(3, strides=2, name="dw")(x)
    x = L.ReLU(6.0, name="dw_relu6")(_bn("dw_bn")(x))                   # padding fold 1 (depthwise), (5, 5)
    x = L.ZeroPadding2D(1, name="pad_conv")(x)
    x = L.Conv2D(16, 3, strides=2, name="conv")(x)
    x = L.Activation("relu", name="conv_relu")(_bn("conv_bn")(x))       # padding fold 2 (conv), (3, 3)
    y = L.ZeroPadding2D(((0, 1), (0, 1)), name="pad_other")(x)
    y = _bn("other_bn")(L.Conv2D(16, 3, name="other")(y))               # not: `same` would pad (1, 1)
    z = L.ZeroPadding2D(1, name="pad_shared")(y)
    w = _bn("shared_bn")(L.Conv2D(16, 3, name="shared")(z))             # not: the padding feeds two layers
    p = L.Concatenate(name="concat")([L.GlobalAveragePooling2D(name="pool_w")(w),
                                      L.GlobalAveragePooling2D(name="pool_z")(z)])
    return keras.Model(inp, L.Dense(3, name="head")(p), name="padding"), 4, 0, ["pad_conv", "pad_dw"]


def _sequential(input_shape):
    L = keras.layers
    return keras.Sequential([keras.Input(input_shape), L.Conv2D(4, 3, name="conv"), _bn("bn"), L.ReLU(name="relu"),
                             L.Flatten(name="flatten"), L.Dense(5, name="dense"), _bn("dense_bn")],
                            name="sequential"), 2, 0, []


def _randomize(model, seed):
    """Seeded weights, with BatchNormalization statistics away from the identity (variance > 0)."""
    weights = []
    for i, v in enumerate(model.weights):
        name = v.path.split("/")[-1]
        if name in ("moving_variance", "gamma"):
            weights.append(seeded(v.shape, seed * 100 + i, 0.5, 1.5))
        else:
            weights.append(seeded(v.shape, seed * 100 + i, -0.5, 0.5))
    model.set_weights(weights)


def generate(data_dir):
    w = GoldenWriter("fusion")
    for seed, (case_id, build, input_shape) in enumerate([("cnn", _cnn, (12, 12, 3)),
                                                         ("sequential", _sequential, (6, 6, 2)),
                                                         ("residual", _residual, (8, 8, 3)),
                                                         ("padding", _padding, (9, 10, 8))], 1):
        model, folds, residual_folds, padded = build(input_shape)
        _randomize(model, seed)
        x = seeded((2,) + input_shape, seed, -1, 1)
        y = model.predict(x, verbose=0)
        rel = f"{MODELS_DIR}/{case_id}.keras"
        save_if_changed(model, pathlib.Path(data_dir) / rel, deflate=True)
        again = keras.saving.load_model(pathlib.Path(data_dir) / rel)
        np.testing.assert_allclose(again.predict(x, verbose=0), y, rtol=1e-5, atol=1e-6, err_msg=rel)
        w.add(case_id, {"file": rel, "folds": folds, "residual_folds": residual_folds, "padded": padded}, x=x, y=y)
    return w.save(data_dir)
