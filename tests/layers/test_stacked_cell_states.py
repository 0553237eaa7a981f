"""return_state over stacked cells with several states each (issue 10): Keras 3's nested states (one entry
per cell, [h, c] for an LSTMCell) from model files Keras saved, the `.keras` round trip, and the states
against the same cells run as separate layers."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from nnkern import layers
from nnkern.engine import tree
from nnkern.models import Model

from .test_gru_simple_rnn import _without_names
from ._golden_layers import jsonable

CASES = load_cases("rnn_stacked_states")
RNG = np.random.default_rng(5)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def check_model(model, case, arrays):
    feeds = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    ys = model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0)
    flat = tree.flatten(ys)
    assert len(flat) == case["n_outputs"]
    for i, y in enumerate(flat):
        assert y.dtype == np.float32
        close(y, arrays[f"y{i}"])
    structure = tree.map_structure(lambda t: list(t.shape), model.outputs)
    assert jsonable(structure) == case["output_structure"]


@pytest.mark.parametrize("case, arrays", [pytest.param(c, a, id=c["id"]) for c, a in CASES])
def test_keras_model_file(case, arrays, tmp_path):
    """The model Keras saved loads and predicts Keras's (nested) outputs; the layer has Keras's config and
    weight paths; saved again by nnkern it loads and predicts the same."""
    record = case["keras_file"]
    model = nnkern.models.load_model(DATA_DIR / record["path"], safe_mode=record["safe_mode"])
    check_model(model, case, arrays)
    assert model.count_params() == case["params"]
    layer = model.get_layer(case["layer_name"])
    assert [w.path for w in layer.weights] == case["weight_paths"]
    assert _without_names(jsonable(layer.get_config())) == _without_names(case["layer_config"])
    model.save(tmp_path / "again.keras")
    check_model(nnkern.models.load_model(tmp_path / "again.keras"), case, arrays)


def test_every_model_file_has_a_case_and_the_files_stay_small():
    on_disk = {f"saving/rnn_stacked_states/{p.name}" for p in (DATA_DIR / "saving" / "rnn_stacked_states").glob("*")}
    assert on_disk == {c["keras_file"]["path"] for c, _ in CASES}
    assert sum((DATA_DIR / p).stat().st_size for p in on_disk) < 200_000


def _separate_layers(cells, x, go_backwards, mask=None):
    """The stack's final states from its cells run as one RNN layer each over every output of the previous one
    (which after a go_backwards first layer are in processing order: the mask is reversed for the next)."""
    states = []
    for index, cell in enumerate(cells):
        last = index == len(cells) - 1
        rnn = layers.RNN(cell, return_sequences=not last, return_state=True,
                         go_backwards=go_backwards and index == 0)
        cell_mask = mask[:, ::-1] if mask is not None and go_backwards and index > 0 else mask
        x, *cell_states = rnn(x, mask=cell_mask)
        states.append(cell_states if len(cell_states) > 1 else cell_states[0])
    return x, states


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_states_match_the_cells_as_separate_layers(go_backwards, masked):
    cells = [layers.LSTMCell(4), layers.GRUCell(3), layers.LSTMCell(2)]
    x = RNG.uniform(-1, 1, (3, 6, 5)).astype(np.float32)
    mask = RNG.uniform(size=(3, 6)) > 0.3 if masked else None
    stack = layers.RNN(cells, return_state=True, go_backwards=go_backwards)
    y, *states = stack(x, mask=mask)
    assert [np.shape(s) if not isinstance(s, list) else [np.shape(t) for t in s] for s in states] == \
        [[(3, 4), (3, 4)], (3, 3), [(3, 2), (3, 2)]]
    expected_y, expected = _separate_layers(cells, x, go_backwards, mask)
    close(y, expected_y)
    for got, want in zip(tree.flatten(states), tree.flatten(expected)):
        close(got, want)


def test_initial_state_nested_or_flat_and_bad_counts():
    cells = [layers.LSTMCell(3), layers.GRUCell(2)]
    rnn = layers.RNN(cells, return_state=True)
    x = RNG.uniform(-1, 1, (2, 4, 3)).astype(np.float32)
    h, c, g = (RNG.uniform(-1, 1, (2, n)).astype(np.float32) for n in (3, 3, 2))
    nested = rnn(x, initial_state=[[h, c], g])
    flat = rnn(x, initial_state=[h, c, g])
    for a, b in zip(tree.flatten(nested), tree.flatten(flat)):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(tree.flatten(nested)[0], tree.flatten(rnn(x))[0])
    with pytest.raises(ValueError, match="3 state"):
        rnn(x, initial_state=[[h, c]])


def test_bidirectional_states_forward_then_backward_and_masks():
    inp = nnkern.Input((5, 3))
    masked = layers.Masking(0.0)(inp)
    outs = layers.Bidirectional(layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True,
                                           return_sequences=True))(masked)
    assert tree.map_structure(lambda t: t.shape, list(outs)) == \
        [(None, 5, 4), [(None, 3), (None, 3)], (None, 2), [(None, 3), (None, 3)], (None, 2)]
    assert outs[0]._keras_mask is not None
    assert all(t._keras_mask is None for t in tree.flatten(outs[1:]))
    model = Model(inp, outs)
    ys = model.predict(RNG.uniform(-1, 1, (2, 5, 3)).astype(np.float32), verbose=0)
    assert len(tree.flatten(ys)) == 7
