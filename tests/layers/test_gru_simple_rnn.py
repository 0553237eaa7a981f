"""GRU / GRUCell, SimpleRNN / SimpleRNNCell and StackedRNNCells: Keras goldens (single layers, and model files
Keras saved: masks, initial states, cells under RNN, stacked cells, Bidirectional), the numpy references,
configs, weights and bad arguments."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from nnkern import activations, layers
from nnkern.models import Model, Sequential
from numpy_ref.lstm import lstm as lstm_ref
from numpy_ref.recurrent import gru as gru_ref
from numpy_ref.recurrent import gru_step as gru_step_ref
from numpy_ref.recurrent import simple_rnn as simple_rnn_ref

from ._golden_layers import check_single, jsonable

RNG = np.random.default_rng(23)
CASES = load_cases("recurrent_gru")


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def reference(layer, x, **kwargs):
    """(output, h) of the numpy reference for a GRU or SimpleRNN layer with its own weights and flags."""
    weights = layer.get_weights()
    if not layer.use_bias:
        weights.append(None)
    flags = dict(return_sequences=layer.return_sequences, go_backwards=layer.go_backwards, **kwargs)
    if isinstance(layer, layers.GRU):
        return gru_ref(x, *weights, reset_after=layer.reset_after, **flags)
    return simple_rnn_ref(x, *weights, **flags)


# ---------------------------------------------------------------------- Keras goldens

def _params(kind):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES if case["kind"] == kind]


@pytest.mark.parametrize("case, arrays", _params("single"))
def test_keras_golden(case, arrays):
    check_single(case, arrays)


def _without_names(config):
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k not in ("name", "build_config")}
    if isinstance(config, list):
        return [_without_names(v) for v in config]
    return config


@pytest.mark.parametrize("case, arrays", _params("model"))
def test_keras_model_file(case, arrays):
    """The model Keras saved loads and predicts Keras's outputs; the recurrent layer has Keras's config
    (cells serialized inside) and weight paths."""
    record = case["keras_file"]
    model = nnkern.models.load_model(DATA_DIR / record["path"], safe_mode=record["safe_mode"])
    feeds = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    ys = model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    assert len(ys) == case["n_outputs"]
    for i, y in enumerate(ys):
        assert y.dtype == np.float32
        close(y, arrays[f"y{i}"])
    assert model.count_params() == case["params"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    layer = model.get_layer(case["layer_name"])
    assert [w.path for w in layer.weights] == case["weight_paths"]
    assert _without_names(jsonable(layer.get_config())) == _without_names(case["layer_config"])


def test_every_model_file_has_a_case_and_the_files_stay_small():
    referenced = {case["keras_file"]["path"] for case, _ in CASES if case["kind"] == "model"}
    on_disk = {f"saving/recurrent_gru/{p.name}" for p in (DATA_DIR / "saving" / "recurrent_gru").glob("*")}
    assert on_disk == referenced
    assert sum((DATA_DIR / p).stat().st_size for p in referenced) <= 300 * 1024


def test_goldens_cover_every_flag():
    singles = [case["kwargs"] for case, _ in CASES if case["kind"] == "single"]
    for key in ("return_sequences", "return_state", "go_backwards", "use_bias", "activation", "dropout"):
        assert any(key in k for k in singles if "reset_after" in k), key
        assert any(key in k for k in singles if "reset_after" not in k), key
    assert {k.get("reset_after") for k in singles} == {True, False, None}
    ids = " ".join(case["id"] for case, _ in CASES)
    for kind in ("masking_", "embedding_", "initial_state_", "rnn_gru_cell", "rnn_simple_rnn_cell", "rnn_list",
                 "rnn_stacked_cells", "bidirectional_gru", "bidirectional_simple_rnn", "encdec"):
        assert kind in ids, kind


# ---------------------------------------------------------------------- numpy reference

LAYERS = [pytest.param(lambda **f: layers.GRU(5, **f), id="gru"),
          pytest.param(lambda **f: layers.GRU(5, reset_after=False, **f), id="gru_reset_before"),
          pytest.param(lambda **f: layers.SimpleRNN(5, **f), id="simple_rnn")]


@pytest.mark.parametrize("make", LAYERS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_numpy(make, return_sequences, go_backwards, with_mask, with_state):
    layer = make(return_sequences=return_sequences, go_backwards=go_backwards, return_state=True)
    x = rand(3, 6, 4)
    mask = RNG.uniform(size=(3, 6)) > 0.3 if with_mask else None
    state = rand(3, 5) if with_state else None
    y, h = layer(x, initial_state=None if state is None else [state], mask=mask)
    ey, eh = reference(layer, x, initial_h=state, mask=mask)
    for a, e in ((y, ey), (h, eh)):
        assert a.dtype == np.float32
        close(a, e)


@pytest.mark.parametrize("make", LAYERS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_user_activation_runs_the_step_loop(make, go_backwards):
    # A callable the kernel does not know takes the per-step numpy path; same numbers as tanh.
    layer = make(activation=lambda z: np.tanh(z), return_sequences=True, return_state=True, go_backwards=go_backwards)
    assert layer.cell.sequence_kernel() is None or not layer.built
    x = rand(2, 5, 3)
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    y, h = layer(x, mask=mask)
    assert layer.cell.sequence_kernel() is None
    ey, eh = reference(layer, x, mask=mask)
    close(y, ey), close(h, eh)


def test_no_bias_and_zero_output_for_mask():
    for layer in (layers.GRU(3, use_bias=False, return_sequences=True, zero_output_for_mask=True),
                  layers.SimpleRNN(3, use_bias=False, return_sequences=True, zero_output_for_mask=True)):
        x = rand(2, 4, 2)
        mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)
        y = layer(x, mask=mask)
        assert len(layer.weights) == 2
        close(y, np.where(mask[:, :, None], reference(layer, x, mask=mask)[0], 0))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_step(reset_after):
    cell = layers.GRUCell(3, reset_after=reset_after)
    x, h = rand(2, 4), rand(2, 3)
    out, (h1,) = cell(x, [h])
    kernel, recurrent, bias = cell.get_weights()
    assert bias.shape == ((2, 9) if reset_after else (9,))
    expected = gru_step_ref(x, h, kernel, recurrent, bias, reset_after=reset_after)
    close(out, expected), close(h1, expected)
    out, h2 = cell(x, h)  # one state not in a list: returned the same way, as Keras does
    assert isinstance(h2, np.ndarray)
    close(h2, expected)
    relu_cell = layers.GRUCell(3, activation=lambda z: np.maximum(z, 0), reset_after=reset_after)
    relu_cell.build((None, 4))
    relu_cell.set_weights(cell.get_weights())
    close(relu_cell(x, [h])[0], gru_step_ref(x, h, kernel, recurrent, bias, act="relu", reset_after=reset_after))


def test_simple_rnn_cell_step():
    cell = layers.SimpleRNNCell(3, activation="relu")
    x, h = rand(2, 4), rand(2, 3)
    out, (h1,) = cell(x, [h])
    kernel, recurrent, bias = cell.get_weights()
    close(h1, np.maximum(x @ kernel + bias + h @ recurrent, 0))
    with pytest.raises(ValueError, match="state h must have shape"):
        cell(x, [rand(2, 4)])
    with pytest.raises(ValueError, match="`states` must be a list"):
        cell(x, [h, h])


def test_rnn_over_cells_matches_the_layers():
    x = rand(3, 6, 4)
    mask = RNG.uniform(size=(3, 6)) > 0.3
    for cell, layer in ((layers.GRUCell(5, reset_after=False), layers.GRU(5, reset_after=False)),
                        (layers.SimpleRNNCell(5), layers.SimpleRNN(5))):
        rnn = layers.RNN(cell, return_sequences=True, go_backwards=True)
        layer = type(layer).from_config({**layer.get_config(), "return_sequences": True, "go_backwards": True})
        rnn.build((None, 6, 4)), layer.build((None, 6, 4))
        layer.set_weights(rnn.get_weights())
        close(rnn(x, mask=mask), layer(x, mask=mask))


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("fused", [True, False])
def test_stacked_cells_match_numpy(go_backwards, fused):
    """A stack at each step equals the cells one after the other over the whole sequence (with a go_backwards
    stack, the later cells run forwards over the reversed sequence and mask); the compiled path and the
    per-step path of the cells agree."""
    activation = "tanh" if fused else (lambda z: np.tanh(z))
    cells = [layers.GRUCell(4, activation=activation), layers.SimpleRNNCell(3), layers.LSTMCell(2)]
    rnn = layers.RNN(cells, return_sequences=True, go_backwards=go_backwards)
    assert isinstance(rnn.cell, layers.StackedRNNCells) and rnn.state_size == [4, 3, 2, 2]
    x = rand(3, 6, 5)
    mask = RNG.uniform(size=(3, 6)) > 0.3
    states = [rand(3, 4), rand(3, 3), rand(3, 2), rand(3, 2)]
    y = rnn(x, mask=mask, initial_state=states)
    assert (rnn.cell.sequence_kernel() is not None) == fused
    w = rnn.get_weights()
    a = gru_ref(x, *w[:3], return_sequences=True, go_backwards=go_backwards, mask=mask, initial_h=states[0])[0]
    later_mask = mask[:, ::-1] if go_backwards else mask
    b = simple_rnn_ref(a, *w[3:6], return_sequences=True, mask=later_mask, initial_h=states[1])[0]
    c = lstm_ref(b, *w[6:9], return_sequences=True, mask=later_mask, initial_h=states[2], initial_c=states[3])[0]
    close(y, c)
    assert [v.path for v in rnn.weights][::3] == [f"{rnn.name}/{rnn.cell.name}/{c.name}/kernel" for c in cells]
    assert rnn.cell.name.startswith("stacked_rnn_cells") and cells[1].name.startswith("simple_rnn_cell")


def test_stacked_cells_config_round_trip_and_return_state():
    rnn = layers.RNN(layers.StackedRNNCells([layers.GRUCell(3), layers.SimpleRNNCell(2)]), return_state=True)
    inp = layers.Input(shape=(4, 3))
    out = rnn(inp)
    assert [tuple(t.shape) for t in out] == [(None, 2), (None, 3), (None, 2)]
    clone = layers.RNN.from_config(rnn.get_config())
    assert [type(c).__name__ for c in clone.cell.cells] == ["GRUCell", "SimpleRNNCell"]
    x = rand(2, 4, 3)
    clone.build((None, 4, 3))
    clone.set_weights(rnn.get_weights())
    for a, b in zip(clone(x), rnn(x)):
        close(a, b)
    with pytest.raises(ValueError, match="`state_size`"):
        layers.StackedRNNCells([layers.Dense(2)])


def test_masking_and_embedding_masks_reach_the_layers():
    inp = layers.Input(shape=(6,), dtype="int32")
    emb = layers.Embedding(10, 3, mask_zero=True)
    first, second = layers.GRU(4, return_sequences=True), layers.SimpleRNN(2)
    model = Model(inp, second(first(emb(inp))))
    ids = np.array([[1, 2, 3, 0, 0, 0], [4, 0, 5, 6, 7, 8]])
    seq = reference(first, emb.get_weights()[0][ids], mask=ids != 0)[0]
    close(model.predict(ids, verbose=0), reference(second, seq, mask=ids != 0)[0])


def test_bidirectional_initial_state_split_and_weights():
    bidirectional = layers.Bidirectional(layers.GRU(3, return_sequences=True, return_state=True), merge_mode="sum")
    x = rand(2, 4, 2)
    states = [rand(2, 3), rand(2, 3)]  # forward h, backward h
    y, hf, hb = bidirectional(x, initial_state=states)
    forward_name = bidirectional.forward_layer.name
    assert forward_name.startswith("forward_gru")
    assert [w.path for w in bidirectional.weights][:3] == [
        f"{bidirectional.name}/{forward_name}/gru_cell/{n}" for n in ("kernel", "recurrent_kernel", "bias")]
    fk, fr, fb, bk, br, bb = bidirectional.get_weights()
    forward, fh = gru_ref(x, fk, fr, fb, return_sequences=True, initial_h=states[0])
    backward, bh = gru_ref(x, bk, br, bb, return_sequences=True, go_backwards=True, initial_h=states[1])
    close(y, forward + backward[:, ::-1])
    close(hf, fh), close(hb, bh)
    model = Sequential([layers.Bidirectional(layers.SimpleRNN(4), input_shape=(5, 3)), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.layers[0].count_params() == 2 * (3 * 4 + 4 * 4 + 4)


def test_batch_zero_and_unknown_timesteps():
    for layer in (layers.GRU(4, return_sequences=True, return_state=True),
                  layers.SimpleRNN(4, return_sequences=True, return_state=True)):
        y, h = layer(np.zeros((0, 3, 2), np.float32))
        assert y.shape == (0, 3, 4) and h.shape == (0, 4)
    inp = layers.Input(shape=(None, 3))
    model = Model(inp, layers.GRU(4, return_sequences=True)(inp))
    assert model.output_shape == (None, None, 4)
    assert model.predict(rand(2, 7, 3), verbose=0).shape == (2, 7, 4)


# ---------------------------------------------------------------------- weights, summary, config

def test_weights_shapes_and_summary_rows():
    gru, gru_before, simple = layers.GRU(8, name="g"), layers.GRU(8, reset_after=False), layers.SimpleRNN(8)
    inp = layers.Input(shape=(5, 3))
    model = Model(inp, [gru(inp), gru_before(inp), simple(inp)])
    assert [w.path for w in gru.weights] == ["g/gru_cell/kernel", "g/gru_cell/recurrent_kernel", "g/gru_cell/bias"]
    assert [w.shape for w in gru.weights] == [(3, 24), (8, 24), (2, 24)]
    assert [w.shape for w in gru_before.weights] == [(3, 24), (8, 24), (24,)]
    assert [w.shape for w in simple.weights] == [(3, 8), (8, 8), (8,)]
    # Keras 3's counts: GRU 3u(F + u + 2), reset_before 3u(F + u + 1), SimpleRNN u(F + u + 1).
    assert (gru.count_params(), gru_before.count_params(), simple.count_params()) == (312, 288, 96)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "g (GRU)" in text and "(SimpleRNN)" in text and "312" in text and "288" in text and "96" in text
    assert np.all(gru.get_weights()[2] == 0)  # zeros bias initializer


def test_weights_set_after_a_call_reach_the_kernel():
    inp = layers.Input(shape=(6, 4))
    gru = layers.GRU(5, return_sequences=True)
    model = Model(inp, gru(inp))
    x = rand(2, 6, 4)
    model.predict(x, verbose=0)
    weights = [rand(4, 15), rand(5, 15), rand(2, 15)]
    gru.set_weights(weights)
    close(model.predict(x, verbose=0), gru_ref(x, *weights, return_sequences=True)[0])


@pytest.mark.parametrize("cls, extra", [(layers.GRU, dict(reset_after=False, recurrent_activation="hard_sigmoid")),
                                        (layers.SimpleRNN, dict(activation="relu"))])
def test_config_round_trip(cls, extra):
    layer = cls(6, return_sequences=True, go_backwards=True, dropout=0.2, recurrent_dropout=0.1, name="rnn", **extra)
    config = layer.get_config()
    for key in ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                "dropout", "recurrent_dropout", "return_sequences", "return_state", "go_backwards", "stateful",
                "unroll", "zero_output_for_mask", "name", "trainable", "dtype", "activity_regularizer"):
        assert key in config, key
    assert "cell" not in config
    # Keras 3's SimpleRNN config has no seed (its cell's has), nor the GRU's gate arguments.
    assert ("reset_after" in config) == ("recurrent_activation" in config) == ("seed" in config) == (cls is layers.GRU)
    assert cls.from_config(config).get_config() == config
    for cell in (layers.GRUCell(3, reset_after=False), layers.SimpleRNNCell(3)):
        assert type(cell).from_config(cell.get_config()).get_config() == cell.get_config()


def test_legacy_spellings():
    model = Sequential([layers.GRU(8, input_dim=3, input_length=5)])
    assert model.output_shape == (None, 8)
    old = layers.GRU(output_dim=4, inner_activation="hard_sigmoid", input_shape=(5, 3))
    assert old.units == 4 and old.recurrent_activation is activations.hard_sigmoid
    assert layers.SimpleRNN(output_dim=2, inner_init="zeros").units == 2
    assert layers.GRU(2, time_major=False, implementation=1).units == 2


def test_dropout_is_identity_at_inference():
    for layer in (layers.GRU(3, dropout=0.5, recurrent_dropout=0.5), layers.SimpleRNN(3, dropout=0.5)):
        x = rand(2, 4, 2)
        close(layer(x, training=True), layer(x))


# ---------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("cls", [layers.GRU, layers.SimpleRNN, layers.GRUCell, layers.SimpleRNNCell])
@pytest.mark.parametrize("kwargs, match", [(dict(units=0), "units"), (dict(units=2.5), "units"),
                                           (dict(units=4, activation="nope"), "nope"),
                                           (dict(units=4, dropout="x"), "dropout")])
def test_bad_constructor_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_refused_arguments():
    with pytest.raises(ValueError, match="stateful"):
        layers.GRU(4, stateful=True)
    with pytest.raises(ValueError, match="stateful"):
        layers.SimpleRNN(4, stateful=True)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.GRU(4, use_cudnn="x")
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.SimpleRNN(4, use_cudnn=True)  # as in Keras 3, SimpleRNN has no such argument


@pytest.mark.parametrize("cls", [layers.GRU, layers.SimpleRNN])
def test_bad_inputs_name_the_layer(cls):
    layer = cls(3, name="rec_x")
    with pytest.raises(ValueError, match="rec_x.*ndim"):
        layer(np.zeros((2, 3), np.float32))
    layer(np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match="rec_x"):
        layer(np.zeros((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="rec_x.*initial state h must have shape"):
        layer(np.zeros((2, 4, 3), np.float32), initial_state=[np.zeros((2, 2))])
    with pytest.raises(ValueError, match="rec_x.*list of 1 state"):
        layer(np.zeros((2, 4, 3), np.float32), initial_state=[np.zeros((2, 3))] * 2)
    with pytest.raises(ValueError, match="rec_x.*mask"):
        layer(np.zeros((2, 4, 3), np.float32), mask=np.ones((2, 3), bool))
    with pytest.raises(TypeError, match="complex"):
        layer(np.zeros((2, 4, 3), np.complex64))
