"""Inputs that must be refused, not cast: complex, datetime, structured and object arrays given to layers,
predict and set_weights; text given to Embedding; a non-integer batch size; a dict naming an unknown
input; an object mask. Each raises TypeError / ValueError naming the layer (or input) and the dtype."""
import re

import numpy as np
import pytest

import nnkern
from nnkern import layers

BAD_ARRAYS = {
    "complex": np.ones((2, 3), np.complex64),
    "datetime64": np.array([["2026-01-01"] * 3] * 2, dtype="datetime64[D]"),
    "structured": np.zeros((2, 3), dtype=[("a", "f4"), ("b", "i4")]),
    "object": np.ones((2, 3)).astype(object),
}


def _dense_model():
    return nnkern.Sequential([nnkern.Input((3,), name="x"), layers.Dense(2, name="dense")], name="seq")


@pytest.mark.parametrize("kind", sorted(BAD_ARRAYS))
def test_layer_call_refuses(kind):
    x = BAD_ARRAYS[kind]
    with pytest.raises(TypeError, match=f"Layer 'dense' \\(Dense\\) input.*dtype {re.escape(str(x.dtype))}"):
        layers.Dense(2, name="dense")(x)


@pytest.mark.parametrize("kind", sorted(BAD_ARRAYS))
@pytest.mark.parametrize("batch_size", [None, 1])  # one batch (the array shortcut) and several
def test_predict_refuses(kind, batch_size):
    x = BAD_ARRAYS[kind]
    model = _dense_model()
    with pytest.raises(TypeError, match=f"Input 'x'.*dtype {re.escape(str(x.dtype))}"):
        model.predict(x, batch_size=batch_size, verbose=0)
    with pytest.raises(TypeError, match=f"dtype {re.escape(str(x.dtype))}"):
        model.predict([x], verbose=0)
    with pytest.raises(TypeError, match=f"dtype {re.escape(str(x.dtype))}"):
        model(x)


@pytest.mark.parametrize("kind", sorted(BAD_ARRAYS))
def test_set_weights_refuses(kind):
    model = _dense_model()
    before = [w.copy() for w in model.get_weights()]
    bad = np.resize(BAD_ARRAYS[kind], (3, 2))
    with pytest.raises(TypeError, match=f"weight '.*dense/kernel'.*dtype {re.escape(str(bad.dtype))}"):
        model.set_weights([bad, np.zeros(2, np.float32)])
    with pytest.raises(TypeError, match="weight '.*dense/kernel'"):
        model.layers[0].set_weights([bad, np.zeros(2, np.float32)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # nothing assigned


def test_text_refused_where_numbers_are_expected():
    embedding = layers.Embedding(10, 4, name="emb")
    with pytest.raises(TypeError, match="Embedding layer 'emb'.*<U1"):
        embedding(np.array([["1", "2"]]))
    model = nnkern.Sequential([nnkern.Input((2,), dtype="int32", name="ids"), layers.Embedding(10, 4)],
                              name="seq")
    with pytest.raises(TypeError, match="Input 'ids'.*<U1"):
        model.predict(np.array([["1", "2"]]), verbose=0)
    with pytest.raises(TypeError, match="weight '.*dense/kernel'.*<U1"):
        _dense_model().set_weights([np.full((3, 2), "1"), np.zeros(2, np.float32)])


@pytest.mark.parametrize("batch_size", [1.5, "4", True])
def test_batch_size_must_be_an_integer(batch_size):
    with pytest.raises(TypeError, match=f"`batch_size` must be a positive integer. Received: "
                                        f"batch_size={batch_size!r}"):
        _dense_model().predict(np.ones((4, 3)), batch_size=batch_size, verbose=0)
    assert _dense_model().predict(np.ones((4, 3)), batch_size=np.int64(2), verbose=0).shape == (4, 2)


def test_predict_dict_with_unknown_input_name():
    model = _dense_model()
    with pytest.raises(ValueError, match=r"unknown input name\(s\) \['unknown_name'\].*\['x'\]"):
        model.predict({"unknown_name": np.ones((2, 3))}, verbose=0)
    assert model.predict({"x": np.ones((2, 3))}, verbose=0).shape == (2, 2)


def test_object_mask_refused():
    lstm = layers.LSTM(2, name="lstm")
    x = np.ones((1, 3, 2), np.float32)
    with pytest.raises(TypeError, match="Layer 'lstm' \\(LSTM\\) mask.*dtype object"):
        lstm(x, mask=np.array([[True, False, True]], dtype=object))
    assert lstm(x, mask=np.array([[True, False, True]])).shape == (1, 2)
