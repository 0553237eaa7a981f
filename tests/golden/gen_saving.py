"""Model-file goldens: small Keras models covering every layer nnkern has, saved by Keras as `.keras`
(a selection also as legacy `.h5`), with their inputs and Keras's outputs.

Also checks the other direction: nnkern loads each `.keras` file and saves it again, and Keras must load
nnkern's file and predict the same. That needs nnkern importable: it is taken from ../../python (build
it in place first), and the check is skipped with a message if it is not.

Writes data/saving.json.gz (one case per model: file names, input/output counts), data/saving.npz
(`<case>/x0..`, `<case>/y0..`) and the model files under data/saving/.
"""
import os
import pathlib
import tempfile

import keras
import numpy as np

from _custom_layers import scaled_residual_class
from _golden_io import GoldenWriter
from _keras_helpers import import_nnkern, save_if_changed, seeded

L = keras.layers
H5_CASES = {"dense_sequential", "conv2d_pool", "lstm_stack", "merges_multi_io", "nested_shared"}


def _int_tokens(shape, vocab, seed, zeros_at_end=True):
    tokens = np.random.default_rng(seed).integers(1, vocab, size=shape).astype(np.int32)
    if zeros_at_end:
        tokens[0, -2:] = 0  # padding, so masks matter
    return tokens


def dense_sequential():
    model = keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.Dropout(0.3),
                              L.Dense(4), L.Activation("softmax")], name="dense_seq")
    return model, [seeded((3, 6), 1)]


def conv2d_pool():
    model = keras.Sequential([keras.Input((9, 8, 2)),
                              L.Conv2D(4, 3, padding="same", activation="relu"),
                              L.MaxPooling2D(2, padding="same"),
                              L.Conv2D(3, (2, 3), strides=(1, 2), dilation_rate=1, padding="valid"),
                              L.AveragePooling2D((2, 1)),
                              L.SpatialDropout2D(0.1),
                              L.Flatten(), L.Dense(3, activation="tanh")])
    return model, [seeded((2, 9, 8, 2), 2)]


def conv1d_pool():
    inp = keras.Input((12, 3))
    x = L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu")(inp)
    x = L.MaxPooling1D(2)(x)
    x = L.Conv1D(5, 2, strides=2, padding="same", use_bias=False)(x)
    x = L.AveragePooling1D(2, padding="same")(x)
    y = L.GlobalMaxPooling1D()(x)
    z = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Concatenate()([y, z])), [seeded((3, 12, 3), 3)]


def conv2d_transpose():
    inp = keras.Input((4, 5, 3))
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(inp)
    x = L.Conv2DTranspose(2, (2, 3), padding="valid")(x)
    x = L.ZeroPadding2D(((1, 0), (0, 2)))(x)
    x = L.Cropping2D(((0, 1), (1, 1)))(x)
    x = L.UpSampling2D(2)(x)
    return keras.Model(inp, L.GlobalAveragePooling2D()(x)), [seeded((2, 4, 5, 3), 4)]


def lstm_stack():
    model = keras.Sequential([keras.Input((7,), dtype="int32"), L.Embedding(11, 4, mask_zero=True),
                              L.LSTM(5, return_sequences=True), L.LSTM(3), L.Dense(2)])
    return model, [_int_tokens((3, 7), 11, 5)]


def lstm_encoder_decoder():
    enc_in = keras.Input((6, 3), name="encoder_input")
    dec_in = keras.Input((4, 2), name="decoder_input")
    _, h, c = L.LSTM(5, return_state=True, name="encoder")(enc_in)
    seq = L.LSTM(5, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    out = L.TimeDistributed(L.Dense(3, activation="softmax"))(seq)
    return keras.Model([enc_in, dec_in], out), [seeded((2, 6, 3), 6), seeded((2, 4, 2), 7)]


def masking_lstm():
    model = keras.Sequential([keras.Input((5, 3)), L.Masking(0.0), L.LSTM(4, go_backwards=True,
                                                                          unroll=False), L.Dense(2)])
    x = seeded((3, 5, 3), 8)
    x[1, 3:] = 0.0
    return model, [x]


def bidirectional():
    model = keras.Sequential([keras.Input((5, 3)),
                              L.Bidirectional(L.LSTM(3, return_sequences=True)),
                              L.Bidirectional(L.LSTM(2), merge_mode="sum"), L.Dense(2)])
    return model, [seeded((2, 5, 3), 16)]


def merges_multi_io():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    outs = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
            L.Maximum()([a, b]), L.Minimum()([a, b])]
    cat = L.Concatenate(axis=-1)(outs)
    dot = L.Dot(axes=1, normalize=True)([a, b])
    head = L.Dense(3, name="head")(cat)
    return keras.Model([a, b], [head, dot]), [seeded((3, 4), 9), seeded((3, 4), 10)]


def reshaping():
    inp = keras.Input((6,))
    x = L.RepeatVector(4)(inp)
    x = L.Permute((2, 1))(x)
    x = L.Reshape((3, 2, 4))(x)
    x = L.ZeroPadding1D(1)(L.Reshape((6, 4))(x))
    x = L.Cropping1D((1, 0))(x)
    x = L.UpSampling1D(2)(x)
    x = L.ActivityRegularization(l1=0.01)(x)
    x = L.Flatten()(x)
    return keras.Model(inp, L.Dense(2)(x)), [seeded((2, 6), 11)]


def time_distributed():
    model = keras.Sequential([keras.Input((3, 6, 6, 1)),
                              L.TimeDistributed(L.Conv2D(2, 3, activation="relu")),
                              L.TimeDistributed(L.Flatten()),
                              L.TimeDistributed(L.Dense(4)),
                              L.GlobalMaxPooling1D()])
    return model, [seeded((2, 3, 6, 6, 1), 12)]


def nested_shared():
    shared = L.Dense(4, activation="relu", name="shared")
    inner_seq = keras.Sequential([keras.Input((8,)), L.Dense(3), L.Dense(3, activation="sigmoid")],
                                 name="inner_seq")
    i_in = keras.Input((3,))
    inner_fn = keras.Model(i_in, L.Dense(2)(L.Dense(5)(i_in)), name="inner_fn")
    a = keras.Input((5,), name="left")
    b = keras.Input((5,), name="right")
    x = L.Concatenate()([shared(a), shared(b)])
    y = inner_fn(inner_seq(x))
    return keras.Model([a, b], [y, shared(a)]), [seeded((3, 5), 13), seeded((3, 5), 14)]


def custom_layer():
    """A user layer (own weight + sublayers: Keras stores them at .../gate/vars, .../proj/vars)."""
    inp = keras.Input((5,))
    x = scaled_residual_class(L)(4, name="residual")(inp)
    return keras.Model(inp, L.Dense(2)(x)), [seeded((3, 5), 17)]


# The Lambda's bytecode records its line number: lines added or removed above change its golden file.
def lambda_layer():
    inp = keras.Input((4,))
    x = L.Dense(3)(inp)
    out = L.Lambda(lambda t: t * 2.0 + 1.0)(x)
    return keras.Model(inp, out), [seeded((2, 4), 15)]


def _unsupported_layers():
    """A layer nested in a sub-model (the GRU, which tests/saving/test_malformed_files.py renames to a class
    nnkern lacks) beside supported ones (a wrapped LSTM): loading must list exactly the missing ones, all in
    one error."""
    inner = keras.Sequential([keras.Input((5, 4)), L.GRU(3, return_sequences=True)], name="inner")
    inp = keras.Input((5, 4))
    x = L.BatchNormalization()(inp)
    x = L.Bidirectional(L.LSTM(2, return_sequences=True))(x)
    return keras.Model(inp, L.Concatenate()([x, inner(inp)]))


def trained_compiled():
    """Compiled and fitted: the file also holds optimizer state and a compile_config."""
    model = keras.Sequential([keras.Input((4,)), L.Dense(6, activation="relu"), L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = seeded((32, 4), 18)
    model.fit(x, (x.sum(axis=1) > 0).astype(np.int32) + (x[:, 0] > 0.5), epochs=2, batch_size=8, verbose=0)
    return model, [seeded((5, 4), 19)]


CASES = [dense_sequential, conv2d_pool, conv1d_pool, conv2d_transpose, lstm_stack, lstm_encoder_decoder,
         masking_lstm, bidirectional, merges_multi_io, reshaping, time_distributed, nested_shared, custom_layer,
         lambda_layer, trained_compiled]


def _outputs(model, inputs):
    y = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]


def _seed_weights(model, seed):
    model.set_weights([seeded(w.shape, seed + i, -0.6, 0.6) for i, w in enumerate(model.get_weights())])


def generate(data_dir):
    data_dir = pathlib.Path(data_dir)
    model_dir = data_dir / "saving"
    model_dir.mkdir(parents=True, exist_ok=True)
    w = GoldenWriter("saving")
    built = []
    for k, make in enumerate(CASES):
        keras.backend.clear_session()  # plain layer names (dense, dense_1, ...) in each file
        model, inputs = make()
        if make is not trained_compiled:  # its weights come from training
            _seed_weights(model, 1000 * (k + 1))
        outputs = _outputs(model, inputs)
        name = make.__name__
        files = {"keras": f"saving/{name}.keras"}
        save_if_changed(model, data_dir / files["keras"], deflate=True)
        if name in H5_CASES:
            files["h5"] = f"saving/{name}.h5"
            save_if_changed(model, data_dir / files["h5"])
        arrays = {f"x{i}": x for i, x in enumerate(inputs)}
        arrays.update({f"y{i}": y for i, y in enumerate(outputs)})
        w.add(name, {"files": files, "inputs": len(inputs), "outputs": len(outputs),
                     "input_names": [t._keras_history[0].name for t in model.inputs],
                     "lambda": name == "lambda_layer",
                     "custom_objects": ["ScaledResidual"] if name == "custom_layer" else []}, **arrays)
        built.append((name, inputs, outputs))
    n = w.save(data_dir)
    keras.backend.clear_session()
    unsupported = _unsupported_layers()
    _seed_weights(unsupported, 9000)
    save_if_changed(unsupported, model_dir / "unsupported_layers.keras", deflate=True)
    _check_nnkern_files_load_in_keras(data_dir, built)
    return n


def _check_nnkern_files_load_in_keras(data_dir, built):
    """nnkern re-saves every Keras file; Keras loads nnkern's file and must predict the same."""
    nnkern = import_nnkern()
    if nnkern is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, inputs, expected in built:
            safe = name != "lambda_layer"
            model = nnkern.models.load_model(data_dir / "saving" / f"{name}.keras", safe_mode=safe,
                                             custom_objects={"ScaledResidual": scaled_residual_class(nnkern.layers)})
            path = os.path.join(tmp, f"{name}.keras")
            model.save(path)
            keras.backend.clear_session()
            reloaded = keras.saving.load_model(path, safe_mode=safe,
                                               custom_objects={"ScaledResidual": scaled_residual_class(L)})
            got = _outputs(reloaded, inputs)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5, err_msg=f"{name}: Keras on nnkern's file")
            print(f"  {name}: Keras loads nnkern's .keras file and predicts the same")
        for name, (model, inputs) in _nnkern_built_models(nnkern).items():
            path = os.path.join(tmp, f"nnkern_{name}.keras")
            expected = [np.asarray(v) for v in nnkern.engine.tree.flatten(
                model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))]
            model.save(path)
            keras.backend.clear_session()
            got = _outputs(keras.saving.load_model(path), inputs)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5, err_msg=f"nnkern-built {name}")
            print(f"  nnkern-built {name}: Keras loads it and predicts as nnkern does")


def _nnkern_built_models(nnkern):
    """Models written in nnkern's API (Keras 2 spellings included), with seeded weights."""
    kl = nnkern.layers
    cnn = nnkern.Sequential([kl.Conv2D(3, 3, padding="same", activation="relu", input_shape=(6, 6, 2)),
                             kl.MaxPooling2D(), kl.Conv2DTranspose(2, 2, strides=2), kl.Flatten(),
                             kl.Dense(3, activation="softmax")])
    enc = nnkern.Input((5, 3))
    dec = nnkern.Input((4, 3))
    shared = kl.Dense(3, name="shared_proj")
    _, h, c = kl.LSTM(4, return_state=True)(shared(enc))
    seq = kl.LSTM(4, return_sequences=True)(shared(dec), initial_state=[h, c])
    inner = nnkern.Sequential([nnkern.Input((4, 4)), kl.TimeDistributed(kl.Dense(2))])
    encdec = nnkern.Model([enc, dec], [inner(seq), kl.Add()([h, c])])
    tokens = nnkern.Input((6,), dtype="int32")
    emb = kl.Embedding(9, 4, mask_zero=True)(tokens)
    conv = kl.Conv1D(4, 2, padding="same")(kl.Masking(0.0)(emb))
    # (Not Concatenate: Keras's reload names the mask's concatenate op like the layer and refuses the graph.)
    text = nnkern.Model(tokens, kl.GlobalAveragePooling1D()(kl.Add()([conv, emb])))
    models = {"cnn": (cnn, [seeded((2, 6, 6, 2), 21)]),
              "encoder_decoder": (encdec, [seeded((2, 5, 3), 22), seeded((2, 4, 3), 23)]),
              "text": (text, [_int_tokens((3, 6), 9, 24)])}
    for k, (model, _) in enumerate(models.values()):
        _seed_weights(model, 5000 + 100 * k)
    return models
