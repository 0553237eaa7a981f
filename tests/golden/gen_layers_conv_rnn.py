"""Layer-level goldens for the convolution, pooling and recurrent layers (keras.layers.Conv1D, Conv2D,
Conv1DTranspose, Conv2DTranspose, MaxPooling1D/2D, AveragePooling1D/2D, LSTM, RNN(LSTMCell),
Bidirectional).

One case per layer and per flag: paddings, strides, dilation, groups, output_padding, pool sizes /
strides / paddings, every LSTM flag (return_sequences, return_state, go_backwards, use_bias,
activations, dropout at inference, masks from Masking and from Embedding(mask_zero=True), initial_state,
an encoder-decoder model), keras.layers.RNN over an LSTMCell, Bidirectional(LSTM) merge modes, and
batch 0. Each case stores the constructor arguments, Keras's config, weight paths and shapes, parameter
count, symbolic output shapes, the seeded weights, the input and Keras's outputs. `init_*` cases store
Keras's freshly initialized deterministic weights (unit_forget_bias) instead of setting them.
Model-like cases and SAVED_SINGLE_CASES are also saved by Keras as data/saving/models/<id>.keras
(record: `keras_file`; tests/saving/test_golden_model_files.py loads them with nnkern).
"""
import json

import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import check_keras_loads_model_files, save_model_file, seeded

# Single-layer cases also saved as Keras files (saving/models/<id>.keras), a few per layer class; every
# model-like case (masks, initial states, RNN(LSTMCell), encoder-decoder, Bidirectional) is saved too.
SAVED_SINGLE_CASES = {"conv1d_causal", "conv1d_dilation2_same", "conv1d_groups3", "conv2d_k32_s21_same",
                      "conv2d_groups4_same", "conv2d_dilation21_same", "conv2d_transpose_outpad10_s2_same",
                      "conv2d_transpose_dilation2", "conv1d_transpose_k4_s3_same", "maxpooling2d_p23_same",
                      "averagepooling2d_p3_s2", "maxpooling1d_p4_s3_same", "averagepooling1d_p3_same",
                      "lstm_backwards_seq_state", "lstm_hard_sigmoid", "lstm_nobias", "init_lstm_unit_forget_bias"}


def jsonable(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def symbolic_shapes(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [list(t.shape) for t in outputs]


def predict(model, feeds):
    """Model outputs as a list of arrays (batch 0: a direct call, which predict() refuses)."""
    if len(feeds[0]):
        outs = model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0)
    else:
        outs = model(feeds if len(feeds) > 1 else feeds[0])
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return [np.asarray(o) for o in outs]


def layer_record(layer, outputs):
    return {"config": jsonable(layer.get_config()),
            "weight_paths": [w.path for w in layer.weights],
            "weight_shapes": [list(w.shape) for w in layer.weights],
            "params": int(layer.count_params()),
            "output_shapes": symbolic_shapes(outputs)}


def single_layer_case(writer, case_id, seed, class_name, kwargs, input_shape, batch, weight_range=(-1.0, 1.0),
                      input_steps=None):
    """One Keras layer on one Input: weights seeded (seed * 10 + i, in weight_range), x seeded (seed, in [-2, 2),
    on a 1/input_steps grid if given); adds the case (config, weight paths and shapes, weights, x, outputs)."""
    layer = getattr(keras.layers, class_name)(**kwargs)
    inp = keras.Input(input_shape)
    out = layer(inp)
    model = keras.Model(inp, out)
    weights = [seeded(v.shape, seed * 10 + i, *weight_range) for i, v in enumerate(layer.weights)]
    layer.set_weights(weights)
    x = seeded((batch,) + tuple(input_shape), seed, -2, 2, steps=input_steps)
    ys = predict(model, [x])
    writer.add(case_id, {"kind": "single", "class_name": class_name, "kwargs": kwargs,
                         "input_shape": list(input_shape), "n_weights": len(weights), "n_outputs": len(ys),
                         "set_weights": True, **layer_record(layer, out)},
               x=x, **{f"w{i}": v for i, v in enumerate(weights)}, **{f"y{i}": y for i, y in enumerate(ys)})


def padded_ids(rng):
    """3 x 6 token ids in [1, 20) with zeros (mask_zero) as post-padding, pre-padding and a hole."""
    ids = rng.integers(1, 20, size=(3, 6))
    ids[0, 4:] = 0  # post-padding
    ids[1, :3] = 0  # pre-padding
    ids[2, 2] = 0  # a hole
    return ids


def generate(data_dir):
    w = GoldenWriter("layers_conv_rnn")
    seed = [0]
    saved = []

    def model_file(case_id, model, feeds, ys):
        """{"keras_file": record} for the case's params, the model saved as a Keras file."""
        record = save_model_file(model, data_dir, case_id)
        saved.append((record, feeds if len(feeds) > 1 else feeds[0], ys))
        return {"keras_file": record}

    def next_seed():
        seed[0] += 1
        return seed[0]

    def single(case_id, class_name, kwargs, input_shape, batch=2, set_weights=True):
        """One layer on one Input; seeded weights (unless set_weights=False); x in [-2, 2)."""
        s = next_seed()
        layer = getattr(keras.layers, class_name)(**kwargs)
        inp = keras.Input(input_shape)
        out = layer(inp)
        model = keras.Model(inp, out)
        weights = [seeded(v.shape, s * 10 + i) for i, v in enumerate(layer.weights)]
        if set_weights:
            layer.set_weights(weights)
        else:
            weights = [np.asarray(v) for v in layer.get_weights()]
        x = seeded((batch,) + tuple(input_shape), s, -2, 2)
        ys = predict(model, [x])
        arrays = {"x": x, **{f"w{i}": v for i, v in enumerate(weights)}, **{f"y{i}": y for i, y in enumerate(ys)}}
        w.add(case_id, {"kind": "single", "class_name": class_name, "kwargs": kwargs,
                        "input_shape": list(input_shape), "n_weights": len(weights), "n_outputs": len(ys),
                        "set_weights": set_weights, **layer_record(layer, out),
                        **(model_file(case_id, model, [x], ys) if case_id in SAVED_SINGLE_CASES else {})},
              **arrays)

    # ------------------------------------------------------------------ convolutions
    conv1d = [("valid", {}), ("same", dict(padding="same")), ("causal", dict(padding="causal")),
              ("k4_same", dict(kernel_size=4, padding="same")),
              ("strides2", dict(strides=2)), ("strides2_same", dict(strides=2, padding="same")),
              ("strides2_causal", dict(strides=2, padding="causal")), ("dilation2", dict(dilation_rate=2)),
              ("dilation2_same", dict(dilation_rate=2, padding="same")),
              ("dilation3_causal", dict(dilation_rate=3, padding="causal")),
              ("nobias_relu", dict(use_bias=False, activation="relu")), ("tanh", dict(activation="tanh"))]
    for tag, extra in conv1d:
        single(f"conv1d_{tag}", "Conv1D", {"filters": 4, "kernel_size": 3, **extra}, (9, 3))
    single("conv1d_groups3", "Conv1D", {"filters": 6, "kernel_size": 3, "groups": 3, "padding": "same"}, (8, 6))
    single("conv1d_batch0", "Conv1D", {"filters": 4, "kernel_size": 3}, (9, 3), batch=0)

    conv2d = [("valid", {}), ("same", dict(padding="same")), ("k32_s21_same", dict(kernel_size=(3, 2),
                                                                                 strides=(2, 1), padding="same")),
              ("strides2", dict(strides=2)), ("strides2_same", dict(strides=2, padding="same")),
              ("strides3_same", dict(strides=3, padding="same")), ("dilation2", dict(dilation_rate=2)),
              ("dilation21_same", dict(dilation_rate=(2, 1), padding="same")),
              ("groups2", dict(groups=2)), ("groups4_same", dict(groups=4, padding="same")),
              ("k1", dict(kernel_size=1)), ("nobias_tanh", dict(use_bias=False, activation="tanh")),
              ("sigmoid_same", dict(activation="sigmoid", padding="same")), ("relu", dict(activation="relu"))]
    for tag, extra in conv2d:
        single(f"conv2d_{tag}", "Conv2D", {"filters": 4, "kernel_size": 3, **extra}, (7, 6, 4))
    single("conv2d_batch0", "Conv2D", {"filters": 4, "kernel_size": 3}, (7, 6, 4), batch=0)

    conv2dt = [("valid", {}), ("same", dict(padding="same")), ("strides2", dict(strides=2)),
               ("strides2_same", dict(strides=2, padding="same")),
               ("k34_s23_same", dict(kernel_size=(3, 4), strides=(2, 3), padding="same")),
               ("k2_s3", dict(kernel_size=2, strides=3)),
               ("outpad1_s2", dict(strides=2, output_padding=1)),
               ("outpad10_s2_same", dict(strides=2, output_padding=(1, 0), padding="same")),
               ("outpad2_s3_same", dict(strides=3, output_padding=2, padding="same")),
               ("dilation2", dict(dilation_rate=2)), ("dilation2_same", dict(dilation_rate=2, padding="same")),
               ("nobias_relu", dict(use_bias=False, activation="relu"))]
    for tag, extra in conv2dt:
        single(f"conv2d_transpose_{tag}", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, **extra}, (4, 5, 3))
    single("conv2d_transpose_batch0", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2},
           (4, 5, 3), batch=0)

    conv1dt = [("valid", {}), ("s2", dict(strides=2)), ("s2_same", dict(strides=2, padding="same")),
               ("outpad1_s2", dict(strides=2, output_padding=1)), ("dilation2", dict(dilation_rate=2)),
               ("k4_s3_same", dict(kernel_size=4, strides=3, padding="same"))]
    for tag, extra in conv1dt:
        single(f"conv1d_transpose_{tag}", "Conv1DTranspose", {"filters": 2, "kernel_size": 3, **extra}, (5, 3))

    # ------------------------------------------------------------------ pooling
    pool2d = [("p2", dict(pool_size=2)), ("p3", dict(pool_size=3)), ("p3_s2", dict(pool_size=3, strides=2)),
              ("p23_same", dict(pool_size=(2, 3), padding="same")),
              ("p3_s1_same", dict(pool_size=3, strides=1, padding="same")),
              ("p2_s12_same", dict(pool_size=2, strides=(1, 2), padding="same")),
              ("p2_same_odd", dict(pool_size=2, padding="same"))]
    # (Keras 3's AveragePooling layers have no default pool_size; MaxPooling ones default to 2.)
    single("maxpooling2d_default", "MaxPooling2D", {}, (7, 6, 3))
    single("maxpooling1d_default", "MaxPooling1D", {}, (9, 3))
    for cls in ("MaxPooling2D", "AveragePooling2D"):
        for tag, extra in pool2d:
            single(f"{cls.lower()}_{tag}", cls, extra, (7, 6, 3))
        single(f"{cls.lower()}_batch0", cls, {"pool_size": 2}, (7, 6, 3), batch=0)
    pool1d = [("p2", dict(pool_size=2)), ("p3_same", dict(pool_size=3, padding="same")),
              ("p2_s1", dict(pool_size=2, strides=1)),
              ("p4_s3_same", dict(pool_size=4, strides=3, padding="same")), ("p3", dict(pool_size=3))]
    for cls in ("MaxPooling1D", "AveragePooling1D"):
        for tag, extra in pool1d:
            single(f"{cls.lower()}_{tag}", cls, extra, (9, 3))

    # ------------------------------------------------------------------ LSTM, one layer
    lstm = [("default", {}), ("seq", dict(return_sequences=True)), ("state", dict(return_state=True)),
            ("seq_state", dict(return_sequences=True, return_state=True)),
            ("backwards", dict(go_backwards=True)),
            ("backwards_seq_state", dict(go_backwards=True, return_sequences=True, return_state=True)),
            ("nobias", dict(use_bias=False, return_sequences=True)),
            ("relu", dict(activation="relu", return_sequences=True)),
            ("hard_sigmoid", dict(recurrent_activation="hard_sigmoid")),
            ("softmax_seq_state", dict(activation="softmax", return_sequences=True, return_state=True)),
            ("dropout", dict(dropout=0.3, recurrent_dropout=0.2, return_sequences=True)),
            ("no_unit_forget_bias", dict(unit_forget_bias=False))]
    for tag, extra in lstm:
        single(f"lstm_{tag}", "LSTM", {"units": 5, **extra}, (6, 4), batch=3)
    single("lstm_batch0", "LSTM", {"units": 5, "return_sequences": True, "return_state": True}, (6, 4), batch=0)
    single("lstm_one_step", "LSTM", {"units": 3, "return_state": True}, (1, 2), batch=2)
    # Deterministic initial weights: only the bias (zeros / ones around the forget gate's ones).
    for tag, extra in (("unit_forget_bias", {}), ("no_unit_forget_bias", dict(unit_forget_bias=False)),
                       ("ones_bias", dict(bias_initializer="ones")),
                       ("ones_bias_no_forget", dict(bias_initializer="ones", unit_forget_bias=False))):
        single(f"init_lstm_{tag}", "LSTM", {"units": 3, "kernel_initializer": "zeros",
                                            "recurrent_initializer": "zeros", **extra}, (2, 2), set_weights=False)

    # ------------------------------------------------------------------ LSTM in small models
    def graph_case(case_id, build, feeds, params):
        """build() -> (model, [layers whose weights are seeded, in order]); everything stored."""
        s = next_seed()
        model, seeded_layers = build()
        weights = []
        for j, layer in enumerate(seeded_layers):
            ws = [seeded(v.shape, s * 10 + 100 * j + i) for i, v in enumerate(layer.weights)]
            layer.set_weights(ws)
            weights += ws
        ys = predict(model, feeds)
        arrays = {**{f"x{i}": x for i, x in enumerate(feeds)}, **{f"w{i}": v for i, v in enumerate(weights)},
                  **{f"y{i}": y for i, y in enumerate(ys)}}
        w.add(case_id, {"kind": case_id.split("__")[0], **params, "n_inputs": len(feeds), "n_weights": len(weights),
                        "n_outputs": len(ys), "output_shapes": symbolic_shapes(model.outputs),
                        "params": int(model.count_params()), **model_file(case_id, model, feeds, ys)},
              **arrays)

    rng = np.random.default_rng(99)
    for tag, flags in (("seq", dict(return_sequences=True)), ("last", {}),
                       ("backwards_seq_state", dict(go_backwards=True, return_sequences=True, return_state=True)),
                       ("backwards_last", dict(go_backwards=True))):
        x = seeded((3, 7, 4), next_seed(), -2, 2)
        keep = rng.uniform(size=(3, 7)) > 0.35
        keep[1] = False  # a fully masked sample
        keep[2, [0, 3, 6]] = False  # masked at the start, middle and end
        x = x * keep[..., None]

        def build(flags=flags):
            inp = keras.Input((7, 4))
            layer = keras.layers.LSTM(5, **flags)
            out = layer(keras.layers.Masking(0.0)(inp))
            return keras.Model(inp, out), [layer]
        graph_case(f"masking__{tag}", build, [x], {"flags": flags})

    for tag, flags in (("seq_state", dict(return_sequences=True, return_state=True)), ("last", {}),
                       ("backwards_seq", dict(go_backwards=True, return_sequences=True))):
        ids = padded_ids(rng)

        def build(flags=flags):
            inp = keras.Input((6,), dtype="int32")
            emb = keras.layers.Embedding(20, 4, mask_zero=True)
            layer = keras.layers.LSTM(5, **flags)
            out = layer(emb(inp))
            return keras.Model(inp, out), [emb, layer]
        graph_case(f"embedding__{tag}", build, [ids.astype(np.int32)], {"flags": flags})

    # A masked sequence LSTM feeding a second LSTM: the output mask propagates.
    x = seeded((3, 6, 2), next_seed(), -2, 2)
    keep = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1]], bool)
    x = x * keep[..., None]

    def build_stacked():
        inp = keras.Input((6, 2))
        first = keras.layers.LSTM(4, return_sequences=True)
        second = keras.layers.LSTM(3)
        return keras.Model(inp, second(first(keras.layers.Masking(0.0)(inp)))), [first, second]
    graph_case("stacked__masking", build_stacked, [x], {"flags": {}})

    for tag, flags in (("seq_state", dict(return_sequences=True, return_state=True)),
                       ("backwards", dict(go_backwards=True))):
        s = next_seed()
        feeds = [seeded((3, 5, 4), s, -2, 2), seeded((3, 5), s + 1), seeded((3, 5), s + 2)]

        def build(flags=flags):
            inp, h, c = keras.Input((5, 4)), keras.Input((5,)), keras.Input((5,))
            layer = keras.layers.LSTM(5, **flags)
            return keras.Model([inp, h, c], layer(inp, initial_state=[h, c])), [layer]
        graph_case(f"initial_state__{tag}", build, feeds, {"flags": flags})

    # keras.layers.RNN over an LSTMCell (the cell's Keras config and weight paths stored too).
    for tag, flags in (("seq_state", dict(return_sequences=True, return_state=True)),
                       ("backwards_masking", dict(go_backwards=True, return_sequences=True))):
        x = seeded((3, 6, 4), next_seed(), -2, 2)
        x[0, 4:] = 0.0
        x[2, :2] = 0.0
        record = {}

        def build(flags=flags, tag=tag, record=record):
            inp = keras.Input((6, 4))
            layer = keras.layers.RNN(keras.layers.LSTMCell(5), **flags)
            seq = keras.layers.Masking(0.0)(inp) if "masking" in tag else inp
            out = layer(seq)
            record.update(config=jsonable(layer.get_config()), weight_paths=[v.path for v in layer.weights])
            return keras.Model(inp, out), [layer]
        graph_case(f"rnn_cell__{tag}", build, [x], {"flags": flags, "masking": "masking" in tag, "record": record})

    s = next_seed()
    feeds = [seeded((2, 6, 3), s, -2, 2), seeded((2, 4, 2), s + 1, -2, 2)]

    def build_encdec():
        enc_in, dec_in = keras.Input((6, 3)), keras.Input((4, 2))
        encoder = keras.layers.LSTM(5, return_state=True)
        _, h, c = encoder(enc_in)
        decoder = keras.layers.LSTM(5, return_sequences=True, return_state=True)
        dec_seq, _, _ = decoder(dec_in, initial_state=[h, c])
        dense = keras.layers.Dense(3, activation="softmax")
        return keras.Model([enc_in, dec_in], dense(dec_seq)), [encoder, decoder, dense]
    graph_case("encdec__lstm", build_encdec, feeds, {"flags": {}})

    # Bidirectional(LSTM): merge modes, return_state, masks (zeroed masked outputs), Embedding masks.
    for tag, merge_mode, flags in (("concat_seq", "concat", dict(return_sequences=True)),
                                   ("sum_last", "sum", {}), ("mul_last", "mul", {}),
                                   ("ave_seq_state", "ave", dict(return_sequences=True, return_state=True)),
                                   ("none_seq", None, dict(return_sequences=True)),
                                   ("concat_seq_masking", "concat", dict(return_sequences=True)),
                                   ("concat_last_masking", "concat", {})):
        x = seeded((3, 6, 4), next_seed(), -2, 2)
        x[0, 4:] = 0.0
        x[1, :2] = 0.0
        x[2, 3] = 0.0
        record = {}

        def build(flags=flags, tag=tag, merge_mode=merge_mode, record=record):
            inp = keras.Input((6, 4))
            layer = keras.layers.Bidirectional(keras.layers.LSTM(3, **flags), merge_mode=merge_mode)
            out = layer(keras.layers.Masking(0.0)(inp) if "masking" in tag else inp)
            record.update(config=jsonable(layer.get_config()), weight_paths=[v.path for v in layer.weights])
            return keras.Model(inp, out), [layer]
        graph_case(f"bidirectional__{tag}", build, [x], {"flags": flags, "merge_mode": merge_mode,
                                                         "masking": "masking" in tag, "record": record})

    missing = SAVED_SINGLE_CASES - {case["id"] for case in w.cases}
    assert not missing, f"SAVED_SINGLE_CASES names no case: {sorted(missing)}"
    check_keras_loads_model_files(data_dir, saved)
    return w.save(data_dir)
