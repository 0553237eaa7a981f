"""Conv3D / Conv3DTranspose / MaxPooling3D / AveragePooling3D / ZeroPadding3D / Cropping3D / UpSampling3D /
ConvLSTM2D goldens (channels_last), from Keras 3 layers with seeded weights, in the single-layer case format
of gen_layers_conv_rnn.py (constructor arguments, Keras's config, weight paths and shapes, parameter count,
symbolic output shapes, weights, input and output). Inputs are at most 8 cells a side, 4 channels.

- Conv3D: every padding x strides {1, 2, (1, 2, 1)} x dilation {1, 2} (strides 1 only: Keras refuses
  both > 1) x kernel {3, (2, 3, 1)}; groups; no bias; activations (fused, softmax, and celu, applied after
  the kernel); batch 0;
- Conv3DTranspose: padding x strides {1, 2, (2, 1, 2)} x output_padding {None, given}; dilation; no bias;
  activation; batch 0;
- pooling: pool_size x strides x padding for both layers;
- ZeroPadding3D, Cropping3D, UpSampling3D: int, per-axis and per-side arguments;
- ConvLSTM2D: padding, strides, dilation, return_sequences, return_state, go_backwards, no bias, activations;
  and calls with a mask (outputs by tf-keras: Keras 3.15's JAX backend applies a step's (batch, 1) mask along
  the states' cols axis, see _tfkeras_convlstm_mask.py) and with initial states (kind "call");
- two small models (a 3-D CNN over every 3-D layer, and a ConvLSTM2D one) saved by Keras as `.keras`
  files under data/conv3d_models/ with their inputs, outputs and `summary()` text, and the same two
  architectures made and saved as Keras 2 `.h5` files by tf-keras (_tfkeras_conv3d.py, run in the
  tf-keras venv /tmp/tfkeras when it exists); nnkern re-saves each `.keras` file and Keras must load it
  and predict the same.
"""
import json
import os
import pathlib
import subprocess

import keras
import numpy as np

from _golden_io import GoldenWriter, readable, store_gzipped
from _conv3d_models import cnn3d, convlstm
from _keras_helpers import check_keras_loads_nnkern_files, seeded
from gen_depthwise import add_model_file_case, save_checked
from gen_layers_conv_rnn import single_layer_case

MODELS_DIR = "conv3d_models"  # under data/: the model files of this family
TF_KERAS_PYTHON = pathlib.Path("/tmp/tfkeras/bin/python")


def _name(v):
    return "x".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)


def generate(data_dir):
    w = GoldenWriter("conv3d")
    seed = [0]

    def single(case_id, class_name, kwargs, input_shape, batch=2):
        seed[0] += 1
        single_layer_case(w, case_id, seed[0], class_name, kwargs, input_shape, batch, weight_range=(-0.5, 0.5),
                          input_steps=16)

    # ------------------------------------------------------------------ Conv3D
    for padding in ["valid", "same"]:
        for strides, dilation in [(1, 1), (2, 1), ((1, 2, 1), 1), (1, 2)]:
            for kernel in [3, (2, 3, 1)]:
                single(f"conv3d_{padding}_s{_name(strides)}_d{dilation}_k{_name(kernel)}", "Conv3D",
                       {"filters": 4, "kernel_size": kernel, "strides": strides, "padding": padding,
                        "dilation_rate": dilation}, (7, 8, 6, 3))
    single("conv3d_groups2_same", "Conv3D", {"filters": 4, "kernel_size": 3, "padding": "same", "groups": 2},
           (5, 6, 4, 4))
    single("conv3d_pointwise", "Conv3D", {"filters": 3, "kernel_size": 1}, (4, 5, 6, 4))
    single("conv3d_nobias", "Conv3D", {"filters": 2, "kernel_size": (3, 2, 2), "use_bias": False}, (5, 5, 5, 2))
    for act in ["relu", "softmax", "celu"]:
        single(f"conv3d_act_{act}", "Conv3D", {"filters": 3, "kernel_size": 2, "activation": act}, (4, 4, 4, 2))
    single("conv3d_batch0", "Conv3D", {"filters": 2, "kernel_size": 3, "padding": "same"}, (4, 4, 4, 2), batch=0)

    # ------------------------------------------------------------------ Conv3DTranspose
    for padding in ["valid", "same"]:
        for strides in [1, 2, (2, 1, 2)]:
            for output_padding in ([None] if strides == 1 else [None, (1, 0, 1)]):
                tag = "none" if output_padding is None else _name(output_padding)
                single(f"conv3dt_{padding}_s{_name(strides)}_op{tag}", "Conv3DTranspose",
                       {"filters": 3, "kernel_size": 3, "strides": strides, "padding": padding,
                        "output_padding": output_padding}, (4, 3, 5, 2))
    single("conv3dt_d2_same", "Conv3DTranspose", {"filters": 2, "kernel_size": (3, 2, 3), "dilation_rate": 2,
                                                  "padding": "same"}, (4, 5, 3, 3))
    single("conv3dt_k2_s2_nobias_relu", "Conv3DTranspose",
           {"filters": 4, "kernel_size": 2, "strides": 2, "use_bias": False, "activation": "relu"}, (3, 3, 3, 4))
    single("conv3dt_batch0", "Conv3DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (3, 3, 3, 2),
           batch=0)

    # ------------------------------------------------------------------ pooling
    for class_name in ["MaxPooling3D", "AveragePooling3D"]:
        for padding in ["valid", "same"]:
            for pool, strides in [(2, None), ((2, 3, 2), 1), (3, (2, 1, 2))]:
                single(f"{class_name}_{padding}_p{_name(pool)}_s{_name(strides)}", class_name,
                       {"pool_size": pool, "strides": strides, "padding": padding}, (7, 6, 5, 3))

    # ------------------------------------------------------------------ shape-only layers
    for tag, padding in [("int", 1), ("axes", (1, 0, 2)), ("sides", ((0, 1), (2, 0), (1, 1)))]:
        single(f"zeropad3d_{tag}", "ZeroPadding3D", {"padding": padding}, (3, 4, 2, 2))
    for tag, cropping in [("int", 1), ("axes", (1, 0, 2)), ("sides", ((0, 1), (2, 0), (1, 1)))]:
        single(f"crop3d_{tag}", "Cropping3D", {"cropping": cropping}, (5, 6, 7, 2))
    for tag, size in [("int", 2), ("axes", (1, 3, 2))]:
        single(f"upsample3d_{tag}", "UpSampling3D", {"size": size}, (2, 3, 2, 2))

    # ------------------------------------------------------------------ ConvLSTM2D
    lstm_cases = [("valid", {}), ("same", dict(padding="same")), ("s2_same", dict(strides=2, padding="same")),
                  ("s12_valid", dict(strides=(1, 2))), ("d2_same", dict(dilation_rate=2, padding="same")),
                  ("k3x2_seq", dict(kernel_size=(3, 2), return_sequences=True)),
                  ("state_same", dict(padding="same", return_state=True)),
                  ("seq_state_backwards", dict(return_sequences=True, return_state=True, go_backwards=True)),
                  ("nobias_relu_hard_sigmoid", dict(use_bias=False, activation="relu",
                                                    recurrent_activation="hard_sigmoid")),
                  ("no_forget_bias", dict(unit_forget_bias=False, padding="same"))]
    for tag, extra in lstm_cases:
        single(f"convlstm2d_{tag}", "ConvLSTM2D", {"filters": 3, "kernel_size": 3, **extra}, (4, 7, 6, 2))
    single("convlstm2d_batch0", "ConvLSTM2D", {"filters": 2, "kernel_size": 3}, (3, 5, 5, 2), batch=0)
    for tag, extra in [("mask", {}), ("mask_seq_backwards", dict(return_sequences=True, go_backwards=True)),
                       ("initial_state", dict(return_state=True, padding="same"))]:
        seed[0] += 1
        s = seed[0]
        layer = keras.layers.ConvLSTM2D(3, 3, **extra)
        x = seeded((3, 5, 6, 5, 2), s, -2, 2)
        layer.build(x.shape)
        weights = [seeded(v.shape, s * 10 + i, -0.5, 0.5) for i, v in enumerate(layer.weights)]
        layer.set_weights(weights)
        arrays = {}
        if tag.startswith("mask"):
            arrays["mask"] = np.array([[1, 1, 0, 1, 1], [0, 1, 1, 1, 0], [1, 1, 1, 1, 1]], bool)
            out = _tf_keras_masked_call({"filters": 3, "kernel_size": 3, **extra}, x, arrays["mask"], weights)
            if out is None:
                continue
        else:
            state_shape = (3, 6, 5, 3)
            arrays["h0"], arrays["c0"] = seeded(state_shape, s + 1000), seeded(state_shape, s + 2000)
            out = layer(x, initial_state=[arrays["h0"], arrays["c0"]])
        ys = [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
        w.add(f"convlstm2d_call_{tag}", {"kind": "call", "class_name": "ConvLSTM2D",
                                          "by": "tf-keras" if "mask" in arrays else "keras",
                                          "kwargs": {"filters": 3, "kernel_size": 3, **extra},
                                          "n_weights": len(weights), "n_outputs": len(ys)},
              x=x, **arrays, **{f"w{i}": v for i, v in enumerate(weights)}, **{f"y{i}": y for i, y in enumerate(ys)})

    # ------------------------------------------------------------------ model files
    checked = []
    data_dir = pathlib.Path(data_dir)
    for case_id, build, input_shape in [("cnn3d", cnn3d, (8, 8, 8, 2)), ("convlstm", convlstm, (4, 8, 8, 2))]:
        seed[0] += 1
        model = build(keras, input_shape)
        weights = [seeded(v.shape, seed[0] * 100 + i, -0.5, 0.5) for i, v in enumerate(model.weights)]
        model.set_weights(weights)
        x = seeded((2,) + input_shape, seed[0], -1, 1)
        y = model.predict(x, verbose=0)
        files = {"keras": save_checked(model, data_dir, f"{MODELS_DIR}/{case_id}.keras", x, y)}
        h5 = _tf_keras_h5(data_dir, case_id, input_shape, weights, x, y)
        if h5:
            files["h5"] = h5
        checked.append(({"path": files["keras"]}, x, [y]))
        add_model_file_case(w, case_id, model, files, x, y)
    n = w.save(data_dir)
    check_keras_loads_nnkern_files(data_dir, checked, rtol=1e-4, atol=1e-5)
    return n


def _tf_keras_masked_call(kwargs, x, mask, weights):
    """tf-keras's ConvLSTM2D(**kwargs) output on x with a mask (see _tfkeras_convlstm_mask.py for why not
    Keras 3's), or None without the tf-keras venv."""
    if not TF_KERAS_PYTHON.exists():
        print("  (skipped the masked ConvLSTM2D calls: no tf-keras)")
        return None
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        io = pathlib.Path(tmp) / "io.npz"
        np.savez(io, x=x, mask=mask, kwargs=json.dumps({**kwargs, "recurrent_activation": "sigmoid"}),
                 **{f"w{i}": v for i, v in enumerate(weights)})
        env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run([str(TF_KERAS_PYTHON), str(pathlib.Path(__file__).with_name("_tfkeras_convlstm_mask.py")),
                        str(io)], check=True, env=env)
        with np.load(io) as out:
            return [out[k] for k in sorted(k for k in out.files if k.startswith("y"))]


def _tf_keras_h5(data_dir, case_id, input_shape, weights, x, y):
    """The same architecture made by tf-keras (Keras 2) with the same weights, saved as .h5; tf-keras's
    output must be Keras 3's. Returns the file's path under data/, or None without the tf-keras venv."""
    rel = f"{MODELS_DIR}/{case_id}_tf_keras.h5"
    if not TF_KERAS_PYTHON.exists():
        print(f"  (skipped {rel}: no tf-keras at {TF_KERAS_PYTHON})")
        return rel if readable(data_dir / rel).exists() else None
    io = data_dir / MODELS_DIR / f"_{case_id}_io.npz"
    np.savez(io, x=x, **{f"w{i}": v for i, v in enumerate(weights)})
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    script = pathlib.Path(__file__).with_name("_tfkeras_conv3d.py")
    try:
        subprocess.run([str(TF_KERAS_PYTHON), str(script), case_id, json.dumps(list(input_shape)), str(io),
                        str(data_dir / rel)], check=True, env=env)
        with np.load(io) as out:
            np.testing.assert_allclose(out["y_tf_keras"], y, rtol=1e-4, atol=1e-5, err_msg=rel)
        store_gzipped(data_dir / rel)
    finally:
        io.unlink()
    return rel
