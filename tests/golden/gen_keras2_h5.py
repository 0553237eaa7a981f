"""Genuine Keras 2 `.h5` goldens, written by tf-keras 2 (not Keras 3's legacy writer): TF-op nodes
(TFOpLambda / SlicingOpLambda), keyword tensors in inbound nodes (LSTM `initial_state`, `mask`), nested
models and shared layers called at several node indices, `batch_input_shape`, regularizers and constraints.

    TF_USE_LEGACY_KERAS=1 /tmp/tfkeras/bin/python tests/golden/gen_keras2_h5.py

(`generate.py` runs it in that interpreter: set TFKERAS_PYTHON if it lives elsewhere.) Writes
data/keras2_h5.json.gz (per model: file, input and output counts, layer names and classes, parameter count,
the TF functions its op nodes name), data/keras2_h5.npz (`<case>/x0..`, `<case>/y0..`: inputs and
tf-keras's outputs) and the files under data/keras2_h5/.
"""
import os
import pathlib
import subprocess
import sys

from _golden_io import seeded as _seeded  # needs numpy only: runs under tf-keras too

HERE = pathlib.Path(__file__).resolve().parent
FAMILY = "keras2_h5"


def generate(data_dir):
    """Entry point of generate.py (a Keras 3 process): rerun this file under tf-keras."""
    python = os.environ.get("TFKERAS_PYTHON", "/tmp/tfkeras/bin/python")
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([python, str(pathlib.Path(__file__)), str(data_dir)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1])




def _set_seeded_weights(model, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    for w in model.weights:  # a variance must stay positive
        low = 0.1 if "variance" in w.name else -0.5
        w.assign(rng.uniform(low, 0.5, size=w.shape).astype(w.dtype.as_numpy_dtype))


def _models(keras, tf):
    L = keras.layers

    def tf_ops():
        # Every TF function the tf-keras applications record (MobileNetV3's hard-swish `x + 3`, `x * (1/6)`;
        # ConvNeXt / RegNet residual `+`) and those keras-io examples use on KerasTensors.
        x = keras.Input((4, 6), name="x")
        y = keras.Input((4, 6), name="y")
        tokens = keras.Input((4,), dtype="int32", name="tokens")
        pos = tf.nn.relu(x) + 0.5
        outs = [
            x + y, x + 3.0, 1.0 + x, x - y, 1.0 - x, x * 2.0, 2.0 * x, x / 2.0, 2.0 / (pos + 1.0), -x, abs(x),
            x ** 2, x @ tf.transpose(y, [0, 2, 1]), x // 0.3, x % 0.3,
            x[:, 0], x[:, 1:3, ::2], x[..., 0], x[:, None], x[:, -1, :], x[:, ::-1], x[:, 1, 2:5],
            x > 0, x < y, x >= 0, x <= 0.5,
            tf.concat([x, y], axis=-1), tf.concat([x, y, x], 1), tf.reshape(x, (-1, 24)), tf.reshape(x, [-1, 2, 12]),
            tf.transpose(x, perm=[0, 2, 1]), tf.expand_dims(x, 1), tf.squeeze(tf.expand_dims(x, 1), axis=1),
            tf.stack([x, y], axis=1), tf.tile(x, [1, 2, 1]), tf.cast(x * 4.0, "int32"), tf.one_hot(tokens, 5),
            tf.matmul(x, y, transpose_b=True), tf.linalg.matmul(tf.transpose(x, [0, 2, 1]), y),
            tf.gather(x, [0, 2], axis=2), tf.where(x > 0, x, y), tf.clip_by_value(x, -0.5, 0.5), tf.identity(x),
            tf.zeros_like(x), tf.ones_like(x), tf.pad(x, [[0, 0], [1, 1], [0, 2]]), tf.reverse(x, [1]),
            tf.repeat(x, 2, axis=1), tf.split(x, 2, axis=-1)[1], tf.split(x, [2, 4], axis=-1)[0],
            tf.unstack(x, axis=1)[2], x[:, :1] + tf.zeros_like(x),
            tf.math.reduce_sum(x, axis=1), tf.reduce_mean(x, axis=-1, keepdims=True), tf.reduce_max(x, 1),
            tf.reduce_min(x, [1, 2]), tf.math.reduce_prod(x, 1), tf.math.reduce_std(x, 1),
            tf.math.reduce_logsumexp(x, 1), tf.math.reduce_any(x > 0, 1), tf.math.reduce_all(x > -0.9, 1),
            tf.math.sqrt(pos), tf.math.rsqrt(pos), tf.math.square(x), tf.exp(x), tf.math.log(pos),
            tf.math.log1p(pos), tf.math.expm1(x), tf.math.abs(x), tf.math.negative(x), tf.sigmoid(x), tf.tanh(x),
            tf.math.sin(x), tf.math.cos(x), tf.math.erf(x), tf.math.reciprocal(pos), tf.math.sign(x),
            tf.floor(x * 3), tf.math.ceil(x * 3), tf.round(x * 3), tf.math.pow(pos, 1.5), tf.math.maximum(x, 0.0),
            tf.minimum(x, y), tf.math.squared_difference(x, y), tf.math.divide_no_nan(x, y * 0.0 + pos),
            tf.add(x, y), tf.subtract(x, y), tf.multiply(x, y), tf.divide(x, pos), tf.math.truediv(x, pos),
            tf.math.add_n([x, y, x]), tf.math.equal(x, y), tf.math.not_equal(x, 0.0), tf.math.greater(x, y),
            tf.math.less_equal(x, y), tf.math.logical_and(x > 0, y > 0), tf.math.logical_not(x > 0),
            tf.math.logical_or(x > 0, y > 0), tf.math.cumsum(x, axis=1), tf.math.cumprod(pos, axis=2),
            tf.math.argmax(x, axis=-1), tf.argmin(x, 1),
            tf.nn.relu(x), tf.nn.relu6(x * 8), tf.nn.softmax(x), tf.nn.softmax(x, axis=1), tf.nn.log_softmax(x),
            tf.nn.gelu(x), tf.nn.gelu(x, approximate=True), tf.nn.elu(x), tf.nn.selu(x), tf.nn.silu(x),
            tf.nn.swish(x), tf.nn.leaky_relu(x, 0.1), tf.nn.leaky_relu(x), tf.nn.softplus(x), tf.nn.softsign(x),
            tf.nn.sigmoid(x), tf.nn.tanh(x), tf.math.softplus(x), tf.math.l2_normalize(x, axis=-1),
            tf.nn.l2_normalize(x, 1), tf.nn.bias_add(x, tf.constant([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])),
            tf.compat.v1.expand_dims(x, 1), tf.compat.v1.reduce_sum(x, 1),
            tf.compat.v1.reduce_mean(x, 1, keepdims=True),
            tf.compat.v1.transpose(x), tf.compat.v1.concat([x, y], 1), tf.compat.v1.squeeze(tf.expand_dims(x, 2), [2]),
            tf.compat.v1.gather(x, [1, 0], axis=1), tf.compat.v1.math.scalar_mul(2.0, x),
            tf.norm(x, axis=-1), tf.math.multiply_no_nan(x, y), tf.math.floormod(x, 0.3),
            tf.math.atan(x), tf.math.cosh(x), tf.math.sinh(x), tf.math.tan(x), tf.math.is_nan(tf.math.log(x)),
            tf.math.reduce_euclidean_norm(x, 1), tf.math.reduce_variance(x, -1), tf.math.top_k(x, 2)[0],
            tf.math.top_k(x, 3)[1],
        ]
        return keras.Model([x, y, tokens], outs, name="tf_ops"), [
            _seeded((3, 4, 6), 1), _seeded((3, 4, 6), 2),
            __import__("numpy").random.default_rng(3).integers(0, 5, size=(3, 4)).astype("int32")]

    def hard_swish_blocks():
        # MobileNetV3 / ConvNeXt / RegNetY patterns of tf-keras applications, tiny.
        inp = keras.Input((8, 8, 3))
        x = L.Conv2D(4, 3, padding="same")(inp)
        x = L.BatchNormalization()(x)
        x = x * (L.ReLU(6.0)(x + 3.0) * (1.0 / 6.0))  # hard_swish as tf-keras's MobileNetV3 writes it
        s = L.GlobalAveragePooling2D(keepdims=True)(x)
        s = L.Conv2D(4, 1, activation="sigmoid")(s)
        x = L.Multiply()([x, s])
        r = L.Conv2D(4, 1)(x)
        x = x + r  # residual, as ConvNeXt / RegNet
        x = tf.math.multiply(x, 0.5)
        return keras.Model(inp, L.GlobalAveragePooling2D()(x), name="hard_swish_blocks"), [_seeded((2, 8, 8, 3), 4)]

    def lstm_seq2seq():
        # keras-io "Character-level recurrent sequence-to-sequence model", tiny: the decoder LSTM takes the
        # encoder's states as `initial_state` (a keyword tensor of its inbound node).
        enc_in = keras.Input(shape=(None, 5))
        _, h, c = L.LSTM(6, return_state=True)(enc_in)
        dec_in = keras.Input(shape=(None, 4))
        dec_out, _, _ = L.LSTM(6, return_sequences=True, return_state=True)(dec_in, initial_state=[h, c])
        out = L.Dense(4, activation="softmax")(dec_out)
        return keras.Model([enc_in, dec_in], out, name="seq2seq"), [_seeded((2, 7, 5), 5), _seeded((2, 3, 4), 6)]

    def explicit_mask():
        # A mask computed by TF ops, given to the LSTM by `mask=` (keyword tensor).
        tokens = keras.Input((6,), dtype="int32")
        emb = L.Embedding(9, 3)(tokens)
        mask = tf.math.not_equal(tokens, 0)
        seq = L.LSTM(4, return_sequences=True)(emb, mask=mask)
        out = L.LSTM(3)(seq, mask=mask)
        x = __import__("numpy").random.default_rng(7).integers(1, 9, size=(3, 6)).astype("int32")
        x[0, -2:] = 0
        x[2, -4:] = 0
        return keras.Model(tokens, out, name="explicit_mask"), [x]

    def nested_shared():
        # A Sequential and a functional submodel each called twice; a Dense shared by two branches; outputs
        # taken from node index 1 of the shared layers and of the nested models.
        a = keras.Input((5,), name="a")
        b = keras.Input((5,), name="b")
        inner_seq = keras.Sequential([L.Dense(4, activation="tanh", input_shape=(5,)), L.Dense(3)], name="inner_seq")
        u = keras.Input((3,))
        v = keras.Input((3,))
        inner_fn = keras.Model([u, v], L.Concatenate()([L.Dense(2, name="inner_dense")(u), v]), name="inner_fn")
        shared = L.Dense(3, activation="relu", name="shared")
        sa, sb = shared(a[:, :5]), shared(b)
        pa, pb = inner_seq(a), inner_seq(b)
        ja = inner_fn([pa, sa])
        jb = inner_fn([pb, sb])
        return keras.Model([a, b], [ja, jb, sb, pb], name="nested_shared"), [_seeded((3, 5), 8), _seeded((3, 5), 9)]

    def batch_input_shape_seq():
        # Keras 2 tutorial style: the first layer gets input_shape (saved as batch_input_shape); legacy
        # class/argument names; regularizers and constraints (no effect at inference).
        reg = keras.regularizers
        con = keras.constraints
        model = keras.Sequential([
            L.Conv1D(4, 3, input_shape=(10, 2), kernel_regularizer=reg.l2(0.01), bias_constraint=con.NonNeg()),
            L.MaxPooling1D(2),
            L.Flatten(),
            L.Dense(5, activation="relu", kernel_regularizer=reg.L1L2(l1=0.01, l2=0.02),
                    kernel_constraint=con.MaxNorm(2.0), bias_regularizer="l1", activity_regularizer=reg.L2(0.1)),
            L.Dense(3, kernel_constraint=con.UnitNorm(axis=0), bias_constraint=con.MinMaxNorm(0.0, 1.0)),
        ], name="batch_input_shape_seq")
        return model, [_seeded((2, 10, 2), 10)]

    def functional_in_sequential():
        # A functional model as the first layer of a Sequential (node index > 0 of the inner model).
        i = keras.Input((6,))
        inner = keras.Model(i, L.Dense(4, activation="relu")(i), name="inner")
        model = keras.Sequential([inner, L.Dense(2)], name="outer_seq")
        model.build((None, 6))
        return model, [_seeded((3, 6), 11)]

    def keras2_names():
        # Keras 2 allowed '/' in layer names (MobileNetV3's 'Conv/BatchNorm', DenseNet's 'conv1/conv'); its
        # SeparableConv2D config carries Conv's kernel_* arguments, which Keras 3 dropped.
        inp = keras.Input((6, 6, 2), name="stem/input")
        x = L.Conv2D(3, 3, padding="same", name="conv1/conv")(inp)
        x = L.BatchNormalization(name="conv1/bn")(x)
        x = L.Activation("relu", name="conv1/relu")(x)
        x = L.SeparableConv2D(4, 3, depth_multiplier=2, name="block1/sepconv")(x)
        x = L.Add(name="block1/add")([x, L.Conv2D(4, 3, name="block1/shortcut")(L.Activation("relu")(inp))])
        return keras.Model(inp, L.GlobalAveragePooling2D(name="pool/avg")(x), name="keras2_names"), [
            _seeded((2, 6, 6, 2), 12)]

    def bidirectional_states():
        # A Bidirectional decoder started from a Bidirectional encoder's four states (Keras 2 records the
        # call as the list [sequences, *initial_state]).
        enc_in = keras.Input((5, 3))
        _, fh, fc, bh, bc = L.Bidirectional(L.LSTM(4, return_state=True))(enc_in)
        dec_in = keras.Input((4, 2))
        out = L.Bidirectional(L.LSTM(4, return_sequences=True))(dec_in, initial_state=[fh, fc, bh, bc])
        return keras.Model([enc_in, dec_in], out, name="bidirectional_states"), [_seeded((2, 5, 3), 13),
                                                                                 _seeded((2, 4, 2), 14)]

    def keras2_layer_arguments():
        # Keras 2 argument names of layers whose Keras 3 names changed (LeakyReLU's alpha, ...).
        inp = keras.Input((6, 4))
        x = L.LeakyReLU(alpha=0.1)(inp)
        x = L.ELU(alpha=0.5)(x)
        x = L.ThresholdedReLU(theta=0.2)(x)
        x = L.ReLU(max_value=4.0, negative_slope=0.1, threshold=0.05)(x)
        x = L.PReLU(shared_axes=[1])(x)
        x = L.Dropout(0.5, noise_shape=(None, 1, 4))(x)
        x = L.Conv1D(3, 2, groups=1, dilation_rate=2, padding="causal")(x)
        x = L.UpSampling1D(2)(x)
        x = L.Softmax(axis=1)(x)
        x = L.Permute((2, 1))(x)
        x = L.Flatten()(x)
        x = L.RepeatVector(2)(x)
        return keras.Model(inp, x, name="keras2_layer_arguments"), [_seeded((2, 6, 4), 15)]

    def dynamic_shapes():
        # Shapes computed in the graph: tf.shape(x)[0] as a reshape dimension, keras-io's positions =
        # tf.range(tf.shape(x)[1]) for a position embedding.
        x = keras.Input((None, 4))
        batch, steps = tf.shape(x)[0], tf.shape(x)[1]
        flat = tf.reshape(x, [batch, -1, 2])
        positions = tf.range(start=0, limit=steps, delta=1)
        embedded = x + L.Embedding(10, 4)(positions)
        return keras.Model(x, [flat, embedded], name="dynamic_shapes"), [_seeded((2, 5, 4), 16)]

    return [tf_ops, hard_swish_blocks, lstm_seq2seq, explicit_mask, nested_shared, batch_input_shape_seq,
            functional_in_sequential, keras2_names, bidirectional_states, keras2_layer_arguments,
            dynamic_shapes]


def _main(data_dir):
    import json

    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    sys.path.insert(0, str(HERE))
    from _golden_io import GoldenWriter, store_gzipped

    out_dir = pathlib.Path(data_dir) / FAMILY
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = GoldenWriter(FAMILY)
    for seed, make in enumerate(_models(keras, tf)):
        keras.backend.clear_session()
        keras.utils.set_random_seed(100 + seed)
        model, xs = make()
        _set_seeded_weights(model, 200 + seed)
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        ys = ys if isinstance(ys, list) else [ys]
        path = out_dir / f"{make.__name__}.h5"
        model.save(path, save_format="h5")
        store_gzipped(path)
        config = json.loads(model.to_json())["config"]
        functions = sorted({l["config"]["function"] for l in config["layers"]
                            if l["class_name"] in ("TFOpLambda", "SlicingOpLambda")})
        writer.add(make.__name__, {
            "file": f"{FAMILY}/{path.name}", "n_inputs": len(xs), "n_outputs": len(ys),
            "layer_names": [l.name for l in model.layers], "layer_classes": [type(l).__name__ for l in model.layers],
            "count_params": int(model.count_params()), "tf_functions": functions},
            **{f"x{i}": x for i, x in enumerate(xs)}, **{f"y{i}": np.asarray(y) for i, y in enumerate(ys)})
    print(writer.save(data_dir))


if __name__ == "__main__":
    _main(sys.argv[1] if len(sys.argv) > 1 else HERE / "data")
