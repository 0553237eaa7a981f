"""LSTM / LSTMCell layers: the notebook's summaries, the numpy reference (masks, initial state,
go_backwards, return_state), configs, weights and bad arguments."""
import numpy as np
import pytest

from nnkern import activations, layers
from nnkern.models import Model, Sequential
from numpy_ref.lstm import lstm as lstm_ref
from numpy_ref.lstm import lstm_step as lstm_step_ref

RNG = np.random.default_rng(11)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


# ---------------------------------------------------------------------- notebook summaries

def test_embedding_lstm_summary():
    inp = layers.Input(shape=(10,))
    lstm = layers.LSTM(units=64)
    model = Model(inp, lstm(layers.Embedding(input_dim=1000, output_dim=20)(inp)))
    assert lstm.count_params() == 21760 and model.count_params() == 41760
    assert model.output_shape == (None, 64)


def test_embedding_lstm_return_state_shapes():
    inp = layers.Input(shape=(10,))
    out = layers.LSTM(units=64, return_state=True)(layers.Embedding(input_dim=1000, output_dim=20)(inp))
    model = Model(inp, out)
    assert [tuple(t.shape) for t in out] == [(None, 64), (None, 64), (None, 64)]
    text = []
    model.summary(print_fn=text.append)
    assert "21,760" in "\n".join(text)
    pred = model.predict(np.arange(10).reshape(1, 10))
    assert len(pred) == 3 and [p.shape for p in pred] == [(1, 64)] * 3
    np.testing.assert_array_equal(pred[0], pred[1])


def test_softmax_activation_sequences_and_state():
    inp = layers.Input(shape=(10,))
    lstm = layers.LSTM(64, return_state=True, return_sequences=True, activation="softmax")
    out = lstm(layers.Embedding(input_dim=1000, output_dim=20)(inp))
    assert [tuple(t.shape) for t in out] == [(None, 10, 64), (None, 64), (None, 64)]
    x = rand(2, 10, 20)
    y, h, c = lstm(x)
    kernel, recurrent, bias = lstm.get_weights()
    ey, eh, ec = lstm_ref(x, kernel, recurrent, bias, act="softmax", return_sequences=True)
    close(y, ey), close(h, eh), close(c, ec)


# ---------------------------------------------------------------------- numpy reference

@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_matches_numpy(return_sequences, go_backwards, with_mask, with_state):
    lstm = layers.LSTM(5, return_sequences=return_sequences, go_backwards=go_backwards, return_state=True)
    x = rand(3, 6, 4)
    mask = RNG.uniform(size=(3, 6)) > 0.3 if with_mask else None
    state = [rand(3, 5), rand(3, 5)] if with_state else None
    y, h, c = lstm(x, initial_state=state, mask=mask)
    kernel, recurrent, bias = lstm.get_weights()
    ey, eh, ec = lstm_ref(x, kernel, recurrent, bias, return_sequences=return_sequences, go_backwards=go_backwards,
                          initial_h=None if state is None else state[0],
                          initial_c=None if state is None else state[1], mask=mask)
    for a, e in ((y, ey), (h, eh), (c, ec)):
        assert a.dtype == np.float32
        close(a, e)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_user_activation_runs_the_step_loop(go_backwards):
    # A callable the kernel does not know takes the per-step numpy path; same numbers as tanh.
    lstm = layers.LSTM(4, activation=lambda z: np.tanh(z), return_sequences=True, return_state=True,
                       go_backwards=go_backwards)
    x = rand(2, 5, 3)
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    y, h, c = lstm(x, mask=mask)
    kernel, recurrent, bias = lstm.get_weights()
    ey, eh, ec = lstm_ref(x, kernel, recurrent, bias, return_sequences=True, go_backwards=go_backwards, mask=mask)
    close(y, ey), close(h, eh), close(c, ec)


def test_zero_output_for_mask():
    lstm = layers.LSTM(3, return_sequences=True, zero_output_for_mask=True)
    x = rand(2, 4, 2)
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)
    y = lstm(x, mask=mask)
    kernel, recurrent, bias = lstm.get_weights()
    ey = lstm_ref(x, kernel, recurrent, bias, return_sequences=True, mask=mask)[0]
    close(y, np.where(mask[:, :, None], ey, 0))


def test_masking_layer_mask_reaches_lstm_and_propagates():
    inp = layers.Input(shape=(5, 2))
    masked = layers.Masking(0.0)(inp)
    seq = layers.LSTM(3, return_sequences=True)(masked)
    assert seq._keras_mask is not None
    last = layers.LSTM(2)(seq)
    model = Model(inp, last)
    x = rand(2, 5, 2)
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    mask = np.any(x != 0, axis=-1)
    l1, l2 = model.layers[2], model.layers[3]
    k1, r1, b1 = l1.get_weights()
    k2, r2, b2 = l2.get_weights()
    s1 = lstm_ref(x, k1, r1, b1, return_sequences=True, mask=mask)[0]
    expected = lstm_ref(s1, k2, r2, b2, mask=mask)[0]
    close(model.predict(x), expected)


def test_embedding_mask_zero():
    inp = layers.Input(shape=(6,), dtype="int32")
    emb = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    model = Model(inp, lstm(emb(inp)))
    ids = np.array([[1, 2, 3, 0, 0, 0], [4, 0, 5, 6, 7, 8]])
    table = emb.get_weights()[0]
    kernel, recurrent, bias = lstm.get_weights()
    close(model.predict(ids), lstm_ref(table[ids], kernel, recurrent, bias, mask=ids != 0)[0])


def test_encoder_decoder_initial_state():
    enc_in = layers.Input(shape=(5, 3))
    _, h, c = layers.LSTM(4, return_state=True)(enc_in)
    dec_in = layers.Input(shape=(6, 2))
    decoder = layers.LSTM(4, return_sequences=True)
    model = Model([enc_in, dec_in], decoder(dec_in, initial_state=[h, c]))
    assert model.output_shape == (None, 6, 4)
    xe, xd = rand(2, 5, 3), rand(2, 6, 2)
    encoder = [l for l in model.layers if isinstance(l, layers.LSTM) and l is not decoder][0]
    ke, re, be = encoder.get_weights()
    _, eh, ec = lstm_ref(xe, ke, re, be)
    kd, rd, bd = decoder.get_weights()
    expected = lstm_ref(xd, kd, rd, bd, return_sequences=True, initial_h=eh, initial_c=ec)[0]
    close(model.predict([xe, xd]), expected)


def test_lstm_cell_step():
    cell = layers.LSTMCell(3)
    x, h, c = rand(2, 4), rand(2, 3), rand(2, 3)
    out, (h1, c1) = cell(x, [h, c])
    kernel, recurrent, bias = cell.get_weights()
    eh, ec = lstm_step_ref(x, h, c, kernel, recurrent, bias)
    close(out, eh), close(h1, eh), close(c1, ec)
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "bias"]


def test_batch_zero():
    lstm = layers.LSTM(4, return_sequences=True, return_state=True)
    y, h, c = lstm(np.zeros((0, 3, 2), np.float32))
    assert y.shape == (0, 3, 4) and h.shape == (0, 4) and c.shape == (0, 4)


# ---------------------------------------------------------------------- weights and initializers

def test_weights_live_under_the_cell():
    lstm = layers.LSTM(8, name="enc")
    lstm.build((None, 5, 3))
    assert [w.path for w in lstm.weights] == ["enc/lstm_cell/kernel", "enc/lstm_cell/recurrent_kernel",
                                              "enc/lstm_cell/bias"]
    assert [w.shape for w in lstm.weights] == [(3, 32), (8, 32), (32,)]
    assert lstm.units == 8 and lstm.cell.units == 8


def test_unit_forget_bias_and_orthogonal_recurrent_kernel():
    lstm = layers.LSTM(4, bias_initializer="zeros")
    lstm.build((None, 2, 3))
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    recurrent = lstm.get_weights()[1]  # (4, 16) with orthonormal rows
    close(recurrent @ recurrent.T, np.eye(4))
    no_forget = layers.LSTM(4, unit_forget_bias=False, bias_initializer="ones")
    no_forget.build((None, 2, 3))
    np.testing.assert_array_equal(no_forget.get_weights()[2], np.ones(16))


def test_weights_set_after_a_call_reach_the_kernel():
    # call() binds the weight buffers once built; set_weights() must still reach them.
    inp = layers.Input(shape=(6, 4))
    lstm = layers.LSTM(5, return_sequences=True)
    model = Model(inp, lstm(inp))
    x = rand(2, 6, 4)
    model.predict(x, verbose=0)
    weights = [rand(4, 20), rand(5, 20), rand(20)]
    lstm.set_weights(weights)
    close(model.predict(x, verbose=0), lstm_ref(x, *weights, return_sequences=True)[0])
    close(lstm(x), lstm_ref(x, *weights, return_sequences=True)[0])


def test_set_weights_and_no_bias():
    lstm = layers.LSTM(2, use_bias=False)
    lstm.build((None, 3, 1))
    assert len(lstm.weights) == 2 and lstm.count_params() == 1 * 8 + 2 * 8
    with pytest.raises(ValueError):
        lstm.set_weights([np.zeros((1, 8))])


# ---------------------------------------------------------------------- config

def test_config_round_trip():
    lstm = layers.LSTM(6, return_sequences=True, go_backwards=True, dropout=0.2, recurrent_dropout=0.1,
                       recurrent_activation="hard_sigmoid", unit_forget_bias=False, name="rnn")
    config = lstm.get_config()
    for key in ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "unit_forget_bias", "dropout", "recurrent_dropout",
                "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
                "seed", "name", "trainable", "dtype"):
        assert key in config, key
    assert "cell" not in config
    clone = layers.LSTM.from_config(config)
    assert clone.get_config() == config
    cell_config = layers.LSTMCell(3).get_config()
    assert layers.LSTMCell.from_config(cell_config).get_config()["units"] == 3


def test_legacy_spellings():
    model = Sequential([layers.LSTM(8, input_dim=3, input_length=5)])
    assert model.output_shape == (None, 8)
    old = layers.LSTM(output_dim=4, inner_activation="hard_sigmoid", input_shape=(5, 3))
    assert old.units == 4 and old.recurrent_activation is activations.hard_sigmoid
    conv = layers.Conv1D(nb_filter=4, filter_length=3, border_mode="same", input_dim=2, input_length=7)
    assert Sequential([conv]).output_shape == (None, 7, 4)


def test_dropout_is_identity_at_inference():
    lstm = layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5)
    x = rand(2, 4, 2)
    a = lstm(x)
    close(lstm(x, training=True), a)


# ---------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("kwargs, match", [(dict(units=0), "units"), (dict(units=4, stateful=True), "stateful"),
                                           (dict(units=4, use_cudnn="x"), "use_cudnn"),
                                           (dict(units=4, activation="nope"), "nope")])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.LSTM(**kwargs)


def test_bad_inputs_name_the_layer():
    lstm = layers.LSTM(3, name="lstm_x")
    with pytest.raises(ValueError, match="lstm_x.*ndim"):
        lstm(np.zeros((2, 3), np.float32))
    lstm(np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match="lstm_x"):
        lstm(np.zeros((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="lstm_x.*initial state"):
        lstm(np.zeros((2, 4, 3), np.float32), initial_state=[np.zeros((2, 3)), np.zeros((2, 2))])
    with pytest.raises(ValueError, match="lstm_x.*mask"):
        lstm(np.zeros((2, 4, 3), np.float32), mask=np.ones((2, 3), bool))


# ---------------------------------------------------------------------- Keras goldens

from ._golden_layers import close as golden_close  # noqa: E402
from ._golden_layers import cases_of, check_single, jsonable, ordered  # noqa: E402


@pytest.mark.parametrize("case, arrays", cases_of("LSTM"))
def test_keras_golden(case, arrays):
    check_single(case, arrays)


def _build_graph(case):
    """The nnkern twin of the Keras model of a graph golden: (model, layers whose weights were seeded)."""
    kind, flags = case["kind"], case["flags"]
    if kind == "masking":
        inp = layers.Input(shape=(7, 4))
        lstm = layers.LSTM(5, **flags)
        return Model(inp, lstm(layers.Masking(0.0)(inp))), [lstm]
    if kind == "embedding":
        inp = layers.Input(shape=(6,), dtype="int32")
        emb, lstm = layers.Embedding(20, 4, mask_zero=True), layers.LSTM(5, **flags)
        return Model(inp, lstm(emb(inp))), [emb, lstm]
    if kind == "stacked":
        inp = layers.Input(shape=(6, 2))
        first, second = layers.LSTM(4, return_sequences=True), layers.LSTM(3)
        return Model(inp, second(first(layers.Masking(0.0)(inp)))), [first, second]
    if kind == "initial_state":
        inp, h, c = layers.Input(shape=(5, 4)), layers.Input(shape=(5,)), layers.Input(shape=(5,))
        lstm = layers.LSTM(5, **flags)
        return Model([inp, h, c], lstm(inp, initial_state=[h, c])), [lstm]
    if kind == "rnn_cell":
        inp = layers.Input(shape=(6, 4))
        rnn = layers.RNN(layers.LSTMCell(5), **flags)
        return Model(inp, rnn(layers.Masking(0.0)(inp) if case["masking"] else inp)), [rnn]
    if kind == "bidirectional":
        inp = layers.Input(shape=(6, 4))
        bidirectional = layers.Bidirectional(layers.LSTM(3, **flags), merge_mode=case["merge_mode"])
        return Model(inp, bidirectional(layers.Masking(0.0)(inp) if case["masking"] else inp)), [bidirectional]
    if kind == "encdec":
        enc_in, dec_in = layers.Input(shape=(6, 3)), layers.Input(shape=(4, 2))
        encoder = layers.LSTM(5, return_state=True)
        _, h, c = encoder(enc_in)
        decoder = layers.LSTM(5, return_sequences=True, return_state=True)
        dec_seq, _, _ = decoder(dec_in, initial_state=[h, c])
        dense = layers.Dense(3, activation="softmax")
        return Model([enc_in, dec_in], dense(dec_seq)), [encoder, decoder, dense]
    raise AssertionError(kind)


def _without_names(config, drop=("name",)):
    """A config with every layer "name" dropped (layers are numbered differently here than in Keras)."""
    if isinstance(config, dict):
        return {k: _without_names(v, drop) for k, v in config.items() if k not in drop}
    if isinstance(config, list):
        return [_without_names(v, drop) for v in config]
    return config


@pytest.mark.parametrize("case, arrays", cases_of(kinds=("masking", "embedding", "stacked", "initial_state",
                                                         "rnn_cell", "bidirectional", "encdec")))
def test_keras_golden_models(case, arrays):
    """Masks from Masking / Embedding(mask_zero=True), mask propagation, initial_state and an
    encoder-decoder, against Keras."""
    model, seeded_layers = _build_graph(case)
    outs = model.outputs
    assert [list(t.shape) for t in outs] == case["output_shapes"]
    assert model.count_params() == case["params"]
    weights = ordered(arrays, "w", case["n_weights"])
    for layer in seeded_layers:
        n = len(layer.weights)
        layer.set_weights(weights[:n])
        weights = weights[n:]
    assert not weights
    feeds = ordered(arrays, "x", case["n_inputs"])
    ys = model.predict(feeds if len(feeds) > 1 else feeds[0])
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    for y, e in zip(ys, ordered(arrays, "y", case["n_outputs"]), strict=True):
        assert y.shape == e.shape
        golden_close(y, e)
    if "record" in case:  # the Keras layer's config (sublayers serialized inside) and weight paths
        layer = seeded_layers[0]
        depth = len(case["record"]["weight_paths"][0].split("/"))
        assert [w.path.split("/")[-1] for w in layer.weights] == \
            [p.split("/")[-1] for p in case["record"]["weight_paths"]]
        assert all(len(w.path.split("/")) == depth and w.path.startswith(layer.name + "/") for w in layer.weights)
        assert _without_names(jsonable(layer.get_config())) == _without_names(case["record"]["config"])
        clone = type(layer).from_config(layer.get_config())  # unbuilt: no build_config inside
        drop = ("name", "build_config")
        assert _without_names(jsonable(clone.get_config()), drop) == _without_names(jsonable(layer.get_config()), drop)


class MinimalRNNCell(layers.Layer):
    """Keras's documented example of a user cell: output = state = x @ W + h @ U (one state)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        prev_output = states[0]
        output = inputs @ self.kernel.value + prev_output @ self.recurrent_kernel.value
        return output, [output]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_with_a_user_cell_matches_numpy(go_backwards):
    cell = MinimalRNNCell(3)
    rnn = layers.RNN(cell, return_sequences=True, return_state=True, go_backwards=go_backwards)
    inp = layers.Input(shape=(5, 2))
    out = rnn(inp)
    assert [tuple(t.shape) for t in out] == [(None, 5, 3), (None, 3)]
    x = rand(2, 5, 2)
    mask = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], bool)
    y, h = rnn(x, mask=mask)
    kernel, recurrent = (w.astype(np.float64) for w in cell.get_weights())
    state, outputs = np.zeros((2, 3)), []
    for t in (reversed(range(5)) if go_backwards else range(5)):
        new = x[:, t] @ kernel + state @ recurrent
        state = np.where(mask[:, t:t + 1], new, state)  # masked: keep the state, repeat the previous output
        outputs.append(state)
    close(y, np.stack(outputs, axis=1))
    close(h, state)
    assert rnn.weights[0].path == f"{rnn.name}/{cell.name}/kernel"


def test_rnn_refuses_what_nnkern_cannot_run():
    # (return_state over stacked LSTMCells works now: tests/layers/test_stacked_cell_states.py)
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="stateful"):
        layers.RNN(layers.LSTMCell(2), stateful=True)


def test_unknown_timesteps_and_keras2_config_keys():
    inp = layers.Input(shape=(None, 3))
    seq = layers.LSTM(4, return_sequences=True)(inp)
    assert seq.shape == (None, None, 4)
    model = Model(inp, seq)
    assert model.predict(rand(2, 7, 3)).shape == (2, 7, 4)
    # Keras 2 LSTM configs carry these; the time axis is never first here.
    assert layers.LSTM(2, time_major=False, implementation=1).units == 2
    with pytest.raises(ValueError, match="time_major"):
        layers.LSTM(2, time_major=True)


def test_lstm_cell_on_symbolic_inputs():
    x, h, c = layers.Input(shape=(4,)), layers.Input(shape=(3,)), layers.Input(shape=(3,))
    out, (h1, c1) = layers.LSTMCell(3)(x, [h, c])
    assert out.shape == h1.shape == c1.shape == (None, 3)


# ---------------------------------------------------------------------- Bidirectional

def test_bidirectional_initial_state_split_and_weights():
    bidirectional = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="concat")
    x = rand(2, 4, 2)
    states = [rand(2, 3) for _ in range(4)]  # forward h, c, backward h, c
    y = bidirectional(x, initial_state=states)
    assert [w.name for w in bidirectional.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    fk, fr, fb, bk, br, bb = bidirectional.get_weights()
    forward = lstm_ref(x, fk, fr, fb, return_sequences=True, initial_h=states[0], initial_c=states[1])[0]
    backward = lstm_ref(x, bk, br, bb, return_sequences=True, go_backwards=True, initial_h=states[2],
                        initial_c=states[3])[0]
    close(y, np.concatenate([forward, backward[:, ::-1]], axis=-1))


def test_bidirectional_sequential_and_legacy_input_shape():
    model = Sequential([layers.Bidirectional(layers.LSTM(4), input_shape=(5, 3)), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.layers[0].count_params() == 2 * (3 * 16 + 4 * 16 + 16)


def test_bidirectional_custom_backward_layer_and_bad_arguments():
    backward = layers.LSTM(3, go_backwards=True, activation="relu")
    bidirectional = layers.Bidirectional(layers.LSTM(3), backward_layer=backward)
    assert bidirectional.backward_layer is backward
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))
    with pytest.raises(ValueError, match="return_sequences"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="merge mode"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="Bidirectional"):
        layers.Bidirectional("lstm")
