"""DepthwiseConv1D / DepthwiseConv2D / SeparableConv1D / SeparableConv2D goldens (channels_last), from Keras 3
layers with seeded weights, in the single-layer case format of gen_layers_conv_rnn.py (constructor
arguments, Keras's config, weight paths and shapes, parameter count, symbolic output shapes, weights,
input and output):

- DepthwiseConv2D: every padding x strides {1, 2, (1, 2)} x dilation {1, 2} x kernel {1, 3, (5, 3)} x
  depth_multiplier {1, 2} on 2x9x11x3 (Keras's layer accepts strides > 1 with dilation > 1, and its JAX
  backend computes it, so the grid has those too); 16 channels (whole AVX2 packets) and 19 (a tail);
  activations (fused ones, softmax over the channels, and celu, which nnkern applies after the kernel);
  no bias; batch 0;
- DepthwiseConv1D: padding x strides x dilation x depth_multiplier;
- SeparableConv1D / 2D: padding, strides, dilation, depth_multiplier, activation, no bias;
- two small models (a MobileNet-like CNN, a 1-D one) saved by Keras as `.keras` files and as legacy `.h5`
  under data/depthwise_models/, with their inputs, outputs and `summary()` text; nnkern (imported from
  python/, built in place) re-saves each `.keras` file and Keras must load it and predict the same.
"""
import pathlib

import keras
import numpy as np

from _golden_io import GoldenWriter, readable
from _keras_helpers import check_keras_loads_nnkern_files, save_if_changed, seeded, summary_text
from gen_layers_conv_rnn import single_layer_case

MODELS_DIR = "depthwise_models"  # under data/: the model files of this family


def _pair_name(v):
    return "x".join(map(str, v)) if isinstance(v, tuple) else str(v)


def generate(data_dir):
    w = GoldenWriter("depthwise")
    seed = [0]

    def single(case_id, class_name, kwargs, input_shape, batch=2):
        seed[0] += 1
        single_layer_case(w, case_id, seed[0], class_name, kwargs, input_shape, batch, input_steps=16)

    # ------------------------------------------------------------------ DepthwiseConv2D
    for padding in ["valid", "same"]:
        for strides in [1, 2, (1, 2)]:
            for dilation in [1, 2]:
                for kernel in [1, 3, (5, 3)]:
                    for multiplier in [1, 2]:
                        single(f"grid_{padding}_s{_pair_name(strides)}_d{dilation}_k{_pair_name(kernel)}_m{multiplier}",
                               "DepthwiseConv2D", {"kernel_size": kernel, "strides": strides, "padding": padding,
                                                   "dilation_rate": dilation, "depth_multiplier": multiplier},
                               (9, 11, 3))
    single("dw2d_c16_same_s2", "DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "padding": "same"}, (10, 9, 16))
    single("dw2d_c19_same_m3_relu6", "DepthwiseConv2D",
           {"kernel_size": 3, "padding": "same", "depth_multiplier": 3, "activation": "relu6"}, (6, 7, 19))
    single("dw2d_c16_valid_d21_k3x2", "DepthwiseConv2D", {"kernel_size": (3, 2), "dilation_rate": (2, 1)},
           (9, 8, 16), batch=1)
    for act in ["relu", "sigmoid", "softmax", "gelu", "celu"]:
        single(f"dw2d_act_{act}", "DepthwiseConv2D",
               {"kernel_size": 3, "padding": "same", "depth_multiplier": 2, "activation": act}, (5, 6, 3))
    single("dw2d_nobias_m2", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "use_bias": False},
           (6, 6, 4))
    single("dw2d_batch0", "DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}, (6, 6, 4), batch=0)

    # ------------------------------------------------------------------ DepthwiseConv1D
    for padding in ["valid", "same"]:
        for strides, dilation in [(1, 1), (2, 1), (1, 2), (3, 2)]:
            for multiplier in [1, 3]:
                single(f"dw1d_{padding}_s{strides}_d{dilation}_m{multiplier}", "DepthwiseConv1D",
                       {"kernel_size": 3, "strides": strides, "padding": padding, "dilation_rate": dilation,
                        "depth_multiplier": multiplier}, (13, 5))
    single("dw1d_k5_relu_nobias", "DepthwiseConv1D", {"kernel_size": 5, "activation": "relu", "use_bias": False},
           (10, 4))

    # ------------------------------------------------------------------ SeparableConv2D / 1D
    separable = [("valid", {}), ("same", dict(padding="same")), ("s2_same", dict(strides=2, padding="same")),
                 ("s12", dict(strides=(1, 2))), ("d2", dict(dilation_rate=2)),
                 ("m2_same_relu", dict(depth_multiplier=2, padding="same", activation="relu")),
                 ("m3_k3x2_tanh", dict(depth_multiplier=3, kernel_size=(3, 2), activation="tanh")),
                 ("nobias_softmax", dict(use_bias=False, activation="softmax")), ("celu", dict(activation="celu"))]
    for tag, extra in separable:
        single(f"sep2d_{tag}", "SeparableConv2D", {"filters": 5, "kernel_size": 3, **extra}, (8, 9, 3))
    single("sep2d_batch0", "SeparableConv2D", {"filters": 4, "kernel_size": 3}, (6, 6, 3), batch=0)
    for tag, extra in [("valid", {}), ("same_s2", dict(padding="same", strides=2)), ("d2_m2", dict(dilation_rate=2,
                       depth_multiplier=2)), ("nobias_relu", dict(use_bias=False, activation="relu"))]:
        single(f"sep1d_{tag}", "SeparableConv1D", {"filters": 4, "kernel_size": 3, **extra}, (11, 3))

    # ------------------------------------------------------------------ model files
    checked = []
    for case_id, build, input_shape in [("mobilenet_like", _mobilenet_like, (16, 16, 3)),
                                        ("sequence_1d", _sequence_1d, (20, 5))]:
        seed[0] += 1
        model = build(input_shape)
        model.set_weights([seeded(v.shape, seed[0] * 100 + i) for i, v in enumerate(model.weights)])
        x = seeded((3,) + input_shape, seed[0], -1, 1)
        y = model.predict(x, verbose=0)
        files = {fmt: save_checked(model, data_dir, f"{MODELS_DIR}/{case_id}.{fmt}", x, y) for fmt in ["keras", "h5"]}
        checked.append(({"path": files["keras"]}, x, [y]))
        add_model_file_case(w, case_id, model, files, x, y)
    n = w.save(data_dir)
    check_keras_loads_nnkern_files(data_dir, checked, rtol=1e-4, atol=1e-5)
    return n


def save_checked(model, data_dir, rel, x, y):
    """Save the model as data/<rel> (a `.keras` file deflated); Keras loads that file and predicts y again."""
    path = pathlib.Path(data_dir) / rel
    save_if_changed(model, path, deflate=path.suffix == ".keras")
    again = keras.saving.load_model(readable(path))
    np.testing.assert_allclose(again.predict(x, verbose=0), y, rtol=1e-5, atol=1e-6, err_msg=rel)
    return rel


def add_model_file_case(writer, case_id, model, files, x, y):
    """A model saved as Keras files: their paths, parameter count, layer classes, weight shapes, summary, x, y."""
    writer.add(case_id, {"kind": "model", "files": files, "params": int(model.count_params()),
                         "layer_classes": [type(l).__name__ for l in model.layers],
                         "weight_shapes": [list(v.shape) for v in model.weights], "summary": summary_text(model)},
               x=x, y=y)


def _mobilenet_like(input_shape):
    """A stem conv, an inverted-residual-like block (expand 1x1, depthwise 3x3, project 1x1, add), a strided
    depthwise with depth_multiplier 2, a separable conv and a classifier head."""
    layers = keras.layers
    inp = keras.Input(input_shape)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6", name="stem")(inp)
    y = layers.Conv2D(16, 1, activation="relu6", name="expand")(x)
    y = layers.DepthwiseConv2D(3, padding="same", activation="relu6", name="dw")(y)
    y = layers.Conv2D(8, 1, name="project")(y)
    x = layers.Add(name="residual")([x, y])
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, use_bias=False, name="dw_s2")(x)
    x = layers.SeparableConv2D(12, 3, padding="same", dilation_rate=2, activation="relu", name="sep")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax", name="head")(x), name="mobilenet_like")


def _sequence_1d(input_shape):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(input_shape),
        layers.DepthwiseConv1D(3, padding="same", depth_multiplier=2, activation="relu", name="dw1d"),
        layers.SeparableConv1D(6, 3, strides=2, name="sep1d"),
        layers.GlobalAveragePooling1D(name="pool"),
        layers.Dense(2, name="head"),
    ], name="sequence_1d")
