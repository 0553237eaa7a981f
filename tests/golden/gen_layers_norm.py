"""Layer-level goldens for the normalization, preprocessing and activation layers (keras.layers
BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization, Normalization, Rescaling,
CenterCrop, Resizing, UpSampling2D's interpolations, ReLU, LeakyReLU, PReLU, ELU, Softmax).

`single` cases use the record of gen_layers_conv_rnn.py (kwargs, input shape, config, weight paths and
shapes, params, output shapes, seeded weights w<i>, input x, outputs y<i>) so tests/layers/_golden_layers.
check_single replays them. Variances are seeded positive. Other kinds: `adapt` (Normalization.adapt on
stored data, Keras's resulting weights and outputs), `model` (small models: masks passed through, Softmax
with a mask argument, BatchNormalization with training=True, a small CNN), `jax_area` ("area" resizing,
which Keras's JAX backend refuses: jax.image.resize's own output). Every `model` case and the
SAVED_SINGLE_CASES are saved by Keras as data/saving/models_norm/<id>.keras (record: `keras_file`); the
generator checks that Keras reloads each, and reloads nnkern's re-save of each (needs nnkern built).
"""
import json
import os
import pathlib

import numpy as np

os.environ["COLUMNS"] = "200"  # rich and shutil read it: summaries then use Keras's default widths
import keras  # noqa: E402

from _golden_io import GoldenWriter  # noqa: E402
from _keras_helpers import (check_keras_loads_model_files, check_keras_loads_nnkern_files,  # noqa: E402
                            save_if_changed, seeded)

MODEL_DIR = "saving/models_norm"
SAVED_SINGLE_CASES = {"batchnorm_axis1", "batchnorm_noscale_nocenter", "layernorm_axes12", "layernorm_rms",
                      "groupnorm_g2", "unitnorm_axes12", "normalization_given_axis_none",
                      "rescaling_per_channel", "centercrop_smaller", "resizing_bicubic_crop",
                      "resizing_lanczos3_pad", "upsampling2d_lanczos5", "relu_all", "leakyrelu_05",
                      "prelu_shared12", "elu_05", "softmax_axis1"}
RESIZE_METHODS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def jsonable(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def symbolic_shapes(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [list(t.shape) for t in outputs]


def as_list(y):
    return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]


def seeded_weight(variable, seed):
    """Seeded values for a weight; variances (BatchNormalization's, Normalization's) positive."""
    if "variance" in variable.name:
        return seeded(variable.shape, seed, 0.2, 2.0)
    if variable.name == "count":
        return np.asarray(7, dtype=np.dtype(variable.dtype))
    return seeded(variable.shape, seed, -1.5, 1.5)


def generate(data_dir):
    w = GoldenWriter("layers_norm")
    seed = [0]
    saved = []

    def next_seed():
        seed[0] += 1
        return seed[0]

    def model_file(case_id, model, feeds, ys):
        rel = f"{MODEL_DIR}/{case_id}.keras"
        save_if_changed(model, pathlib.Path(data_dir) / rel, deflate=True)
        record = {"path": rel, "safe_mode": True}
        saved.append((record, feeds if len(feeds) > 1 else feeds[0], ys))
        return {"keras_file": record}

    def layer_record(layer, outputs):
        return {"config": jsonable(layer.get_config()),
                "weight_paths": [v.path for v in layer.weights],
                "weight_shapes": [list(v.shape) for v in layer.weights],
                "trainable_weights": [v.path for v in layer.trainable_weights],
                "params": int(layer.count_params()),
                "output_shapes": symbolic_shapes(outputs)}

    def single(case_id, class_name, kwargs, input_shape, batch=2, low=-2.0, high=2.0, set_weights=True):
        """One layer on one Input; seeded weights; x uniform in [low, high)."""
        s = next_seed()
        layer = getattr(keras.layers, class_name)(**kwargs)
        inp = keras.Input(input_shape)
        out = layer(inp)
        model = keras.Model(inp, out)
        if set_weights:
            weights = [seeded_weight(v, s * 10 + i) for i, v in enumerate(layer.weights)]
            layer.set_weights(weights)
            if hasattr(layer, "finalize_state"):  # Normalization: its mean/variance tensors follow the weights
                layer.finalize_state()
        else:
            weights = [np.asarray(v) for v in layer.get_weights()]
        x = seeded((batch,) + tuple(input_shape), s, low, high)
        ys = as_list(model.predict(x, verbose=0))
        arrays = {"x": x, **{f"w{i}": v for i, v in enumerate(weights)}, **{f"y{i}": y for i, y in enumerate(ys)}}
        w.add(case_id, {"kind": "single", "class_name": class_name, "kwargs": kwargs,
                        "input_shape": list(input_shape), "n_weights": len(weights), "n_outputs": len(ys),
                        "set_weights": set_weights, **layer_record(layer, out),
                        **(model_file(case_id, model, [x], ys) if case_id in SAVED_SINGLE_CASES else {})},
              **arrays)

    def model_case(case_id, build, feeds, params=None):
        """build() -> (model, layers whose weights are seeded in order); outputs, masks and file stored."""
        s = next_seed()
        model, seeded_layers = build()
        weights = []
        for j, layer in enumerate(seeded_layers):
            ws = [seeded_weight(v, s * 10 + 100 * j + i) for i, v in enumerate(layer.weights)]
            layer.set_weights(ws)
            weights += ws
        ys = as_list(model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0))
        arrays = {**{f"x{i}": x for i, x in enumerate(feeds)}, **{f"w{i}": v for i, v in enumerate(weights)},
                  **{f"y{i}": y for i, y in enumerate(ys)}}
        lines = []
        model.summary(print_fn=lines.append)
        w.add(case_id, {"kind": "model", **(params or {}), "n_inputs": len(feeds), "n_weights": len(weights),
                        "n_outputs": len(ys), "output_shapes": symbolic_shapes(model.outputs),
                        "params": int(model.count_params()),
                        "trainable_params": int(sum(np.prod(v.shape) for v in model.trainable_weights)),
                        "non_trainable_params": int(sum(np.prod(v.shape) for v in model.non_trainable_weights)),
                        "summary": "".join(lines),
                        **model_file(case_id, model, feeds, ys)},
              **arrays)

    # ------------------------------------------------------------------ normalization
    bn = [("default", {}, (5, 4)), ("axis1", {"axis": 1}, (5, 4)), ("axis_m2_4d", {"axis": -2}, (3, 4, 2)),
          ("eps", {"epsilon": 0.5}, (6,)), ("nocenter", {"center": False}, (6,)),
          ("noscale", {"scale": False}, (6,)),
          ("noscale_nocenter", {"center": False, "scale": False}, (3, 3, 2)),
          ("momentum", {"momentum": 0.5}, (6,)),
          ("renorm", {"renorm": True, "renorm_clipping": {"rmax": 3.0}}, (5, 4))]
    for tag, kwargs, shape in bn:
        single(f"batchnorm_{tag}", "BatchNormalization", kwargs, shape)

    ln = [("default", {}, (5, 4)), ("axis1", {"axis": 1}, (5, 4)), ("axes12", {"axis": [1, 2]}, (3, 4, 2)),
          ("axes_m1_m3", {"axis": [-1, -3]}, (3, 4, 2)), ("eps", {"epsilon": 0.3}, (6,)),
          ("nocenter", {"center": False}, (6,)), ("noscale", {"scale": False}, (6,)),
          ("rms", {"rms_scaling": True}, (5, 4)), ("rms_axes12", {"rms_scaling": True, "axis": [1, 2]}, (3, 4, 2))]
    for tag, kwargs, shape in ln:
        single(f"layernorm_{tag}", "LayerNormalization", kwargs, shape)

    # training=True: batch statistics, and the moving statistics updated with the momentum.
    for tag, kwargs, shape in (("training", {"momentum": 0.8}, (3, 4)), ("training_axis1", {"axis": 1}, (3, 4))):
        s = next_seed()
        layer = keras.layers.BatchNormalization(**kwargs)
        layer.build((None,) + shape)
        weights = [seeded_weight(v, s * 10 + i) for i, v in enumerate(layer.weights)]
        layer.set_weights(weights)
        x = seeded((5,) + shape, s, -2, 2)
        y = np.asarray(layer(x, training=True))
        w.add(f"batchnorm_{tag}", {"kind": "bn_training", "kwargs": kwargs, "input_shape": list(shape)},
              x=x, y=y, **{f"w{i}": v for i, v in enumerate(weights)},
              **{f"after{i}": np.asarray(v) for i, v in enumerate(layer.get_weights())})

    gn = [("g2", {"groups": 2}, (5, 4)), ("g1", {"groups": 1}, (3, 3, 6)), ("g3_4d", {"groups": 3}, (3, 2, 6)),
          ("instance", {"groups": -1}, (3, 2, 4)), ("axis1", {"groups": 2, "axis": 1}, (4, 3)),
          ("eps_nocenter", {"groups": 2, "epsilon": 0.5, "center": False}, (6,)),
          ("noscale", {"groups": 3, "scale": False}, (6,))]
    for tag, kwargs, shape in gn:
        single(f"groupnorm_{tag}", "GroupNormalization", kwargs, shape)

    for tag, kwargs, shape in (("default", {}, (5, 4)), ("axis1", {"axis": 1}, (5, 4)),
                               ("axes12", {"axis": [1, 2]}, (3, 4, 2))):
        single(f"unitnorm_{tag}", "UnitNormalization", kwargs, shape)
    single("unitnorm_zeros", "UnitNormalization", {}, (3,), low=0.0, high=0.0)

    # ------------------------------------------------------------------ preprocessing
    single("normalization_given", "Normalization", {"mean": [0.5, -1.0, 2.0], "variance": [1.0, 4.0, 0.25]}, (4, 3))
    single("normalization_given_scalar", "Normalization", {"mean": 1.5, "variance": 2.0}, (4, 3))
    single("normalization_given_axis_none", "Normalization", {"axis": None, "mean": 0.3, "variance": 0.5}, (4, 3))
    single("normalization_given_invert", "Normalization", {"mean": [0.5, -1.0, 2.0], "variance": [1.0, 4.0, 0.0],
                                                            "invert": True}, (4, 3))
    single("normalization_given_axes12", "Normalization", {"axis": (1, 2), "mean": [[1.0, 2.0], [3.0, 4.0]],
                                                            "variance": [[1.0, 2.0], [0.5, 3.0]]}, (2, 2))
    single("normalization_weights", "Normalization", {}, (4, 3))
    single("normalization_weights_axis1", "Normalization", {"axis": 1}, (4, 3))
    single("normalization_weights_invert", "Normalization", {"invert": True}, (4, 3))

    for tag, kwargs in (("adapt", {}), ("adapt_axis_none", {"axis": None}), ("adapt_axes12", {"axis": (1, 2)}),
                        ("adapt_invert", {"invert": True})):
        s = next_seed()
        data = seeded((20, 3, 2), s, -3.0, 5.0)
        layer = keras.layers.Normalization(**kwargs)
        layer.adapt(data)
        x = seeded((2, 3, 2), s + 1000, -3.0, 5.0)
        y = np.asarray(layer(x))
        w.add(f"normalization_{tag}", {"kind": "adapt", "kwargs": kwargs, "config": jsonable(layer.get_config()),
                                       "n_weights": len(layer.weights),
                                       "weight_dtypes": [str(np.asarray(v).dtype) for v in layer.get_weights()]},
              data=data, x=x, y=y, **{f"w{i}": np.asarray(v) for i, v in enumerate(layer.get_weights())})

    single("rescaling_scalar", "Rescaling", {"scale": 1.0 / 255}, (3, 2), low=0, high=255)
    single("rescaling_offset", "Rescaling", {"scale": 2.0, "offset": -1.0}, (3, 2))
    single("rescaling_per_channel", "Rescaling", {"scale": [0.5, 2.0, -1.0], "offset": [1.0, 0.0, 3.0]}, (2, 2, 3))

    for tag, kwargs, shape in (("even", {"height": 2, "width": 3}, (4, 5, 2)),
                               ("odd", {"height": 3, "width": 2}, (6, 5, 1)),
                               ("same", {"height": 4, "width": 3}, (4, 3, 2)),
                               ("smaller", {"height": 6, "width": 4}, (3, 5, 2)),
                               ("smaller_h", {"height": 7, "width": 2}, (4, 5, 1))):
        single(f"centercrop_{tag}", "CenterCrop", kwargs, shape)

    for method in RESIZE_METHODS:
        single(f"resizing_{method}_up", "Resizing", {"height": 7, "width": 9, "interpolation": method}, (4, 5, 2))
        single(f"resizing_{method}_down", "Resizing", {"height": 3, "width": 2, "interpolation": method},
               (7, 5, 2))
        single(f"resizing_{method}_mixed", "Resizing", {"height": 9, "width": 3, "interpolation": method},
               (4, 7, 1))
    for method in ("bilinear", "bicubic", "lanczos3"):
        single(f"resizing_{method}_antialias", "Resizing", {"height": 3, "width": 2, "interpolation": method,
                                                            "antialias": True}, (8, 7, 2))
    single("resizing_bicubic_crop", "Resizing", {"height": 4, "width": 4, "interpolation": "bicubic",
                                                 "crop_to_aspect_ratio": True}, (6, 9, 2))
    single("resizing_nearest_crop_tall", "Resizing", {"height": 6, "width": 2, "interpolation": "nearest",
                                                      "crop_to_aspect_ratio": True}, (5, 4, 1))
    single("resizing_lanczos3_pad", "Resizing", {"height": 4, "width": 4, "interpolation": "lanczos3",
                                                 "pad_to_aspect_ratio": True}, (6, 9, 2))
    single("resizing_bilinear_pad_wide", "Resizing", {"height": 3, "width": 6, "interpolation": "bilinear",
                                                      "pad_to_aspect_ratio": True, "fill_value": 1.5}, (5, 4, 1))
    for method in RESIZE_METHODS:
        single(f"upsampling2d_{method}", "UpSampling2D", {"size": (2, 3), "interpolation": method}, (3, 4, 2))

    # "area": Keras's JAX backend refuses it; jax.image.resize computes it (what nnkern follows).
    import jax
    for tag, shape, size in (("down", (2, 7, 5, 2), (3, 2)), ("up", (2, 3, 4, 1), (7, 6)),
                             ("mixed", (1, 6, 3, 2), (4, 5))):
        x = seeded(shape, next_seed(), -2, 2)
        y = np.asarray(jax.image.resize(x, (shape[0],) + size + (shape[3],), method="area"))
        w.add(f"jax_area_{tag}", {"kind": "jax_area", "size": list(size)}, x=x, y=y)

    # ------------------------------------------------------------------ activation layers
    acts = [("relu_default", "ReLU", {}), ("relu_max", "ReLU", {"max_value": 1.0}),
            ("relu_max6", "ReLU", {"max_value": 6.0}), ("relu_slope", "ReLU", {"negative_slope": 0.2}),
            ("relu_threshold", "ReLU", {"threshold": 0.5}),
            ("relu_all", "ReLU", {"max_value": 1.2, "negative_slope": 0.1, "threshold": 0.4}),
            ("relu_slope_max", "ReLU", {"max_value": 1.0, "negative_slope": 0.3}),
            ("leakyrelu_default", "LeakyReLU", {}), ("leakyrelu_05", "LeakyReLU", {"negative_slope": 0.5}),
            ("elu_default", "ELU", {}), ("elu_05", "ELU", {"alpha": 0.5}),
            ("softmax_default", "Softmax", {}), ("softmax_axis1", "Softmax", {"axis": 1}),
            ("softmax_axes12", "Softmax", {"axis": [1, 2]})]
    for case_id, cls, kwargs in acts:
        single(case_id, cls, kwargs, (3, 4), low=-3, high=3)
    single("prelu_default", "PReLU", {}, (3, 4))
    single("prelu_shared1", "PReLU", {"shared_axes": 1}, (3, 4))
    single("prelu_shared12", "PReLU", {"shared_axes": [1, 2]}, (3, 2, 4))
    single("prelu_init_ones", "PReLU", {"alpha_initializer": "ones"}, (3, 4), set_weights=False)

    # ------------------------------------------------------------------ small models
    x_seq = seeded((3, 5, 4), next_seed(), -2, 2)
    x_seq[0, 3:] = 0.0  # masked steps
    x_seq[2, 1] = 0.0

    def masked_chain():
        inp = keras.Input((5, 4))
        masked = keras.layers.Masking(0.0)(inp)
        h = keras.layers.LayerNormalization()(masked)
        bn = keras.layers.BatchNormalization()
        h = bn(h)
        h = keras.layers.ReLU(max_value=2.0)(h)
        h = keras.layers.UnitNormalization()(h)
        h = keras.layers.Rescaling(2.0, 0.5)(h)
        h = keras.layers.LeakyReLU(0.1)(h)
        out = keras.layers.LSTM(3)(h)  # the mask reaches the LSTM through every layer above
        return keras.Model(inp, out), [bn, out._keras_history.operation]
    model_case("mask_chain", masked_chain, [x_seq])

    def softmax_masked():
        inp = keras.Input((4, 5))
        mask = keras.Input((1, 5))
        out = keras.layers.Softmax()(inp, mask=mask)
        return keras.Model([inp, mask], out), []
    m = (seeded((3, 1, 5), next_seed()) > 0).astype(np.float32)
    model_case("softmax_mask_arg", softmax_masked, [seeded((3, 4, 5), next_seed(), -3, 3), m])

    def cnn():
        inp = keras.Input((8, 8, 3))
        h = keras.layers.Rescaling(1.0 / 127.5, offset=-1)(inp)
        h = keras.layers.Resizing(6, 6, interpolation="bilinear")(h)
        h = keras.layers.Conv2D(4, 3, use_bias=False)(h)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.ReLU(6.0)(h)
        h = keras.layers.GroupNormalization(2)(h)
        h = keras.layers.PReLU(shared_axes=[1, 2])(h)
        h = keras.layers.UpSampling2D(interpolation="bicubic")(h)
        h = keras.layers.CenterCrop(5, 5)(h)
        h = keras.layers.ELU()(h)
        h = keras.layers.GlobalAveragePooling2D()(h)
        out = keras.layers.Dense(3)(h)
        out = keras.layers.Softmax()(out)
        model = keras.Model(inp, out)
        return model, [l for l in model.layers if l.weights]
    model_case("cnn", cnn, [seeded((3, 8, 8, 3), next_seed(), 0, 255)])

    def normalization_model():
        layer = keras.layers.Normalization(axis=-1)
        layer.adapt(seeded((30, 4), 4242, -1.0, 3.0))
        inp = keras.Input((4,))
        out = keras.layers.Dense(2)(layer(inp))
        model = keras.Model(inp, out)
        return model, [model.layers[-1]]
    model_case("normalization_adapted", normalization_model, [seeded((3, 4), next_seed(), -1, 3)])

    n = w.save(data_dir)
    check_keras_loads_model_files(data_dir, saved)
    check_keras_loads_nnkern_files(data_dir, saved)
    return n
