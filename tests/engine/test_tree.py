"""engine.tree: flatten / pack_sequence_as round trips, and predict leaving no reference cycles behind."""
import collections
import gc

import numpy as np
import pytest

import nnkern as keras
from nnkern.engine import tree

Pair = collections.namedtuple("Pair", ["a", "b"])


@pytest.mark.parametrize("structure", [
    1, [1, 2], (1, [2, 3]), {"b": 1, "a": [2, 3]}, [Pair(1, (2, 3)), {"z": 4, "y": 5}], [], {"k": []},
])
def test_pack_sequence_as_inverts_flatten(structure):
    flat = tree.flatten(structure)
    assert tree.pack_sequence_as(structure, flat) == structure
    doubled = tree.pack_sequence_as(structure, [2 * v for v in flat])
    assert tree.flatten(doubled) == [2 * v for v in flat]


def test_flatten_orders_dicts_by_sorted_key_and_pack_keeps_insertion_order():
    structure = {"b": 1, "a": 2}
    assert tree.flatten(structure) == [2, 1]
    packed = tree.pack_sequence_as(structure, ["A", "B"])
    assert list(packed) == ["b", "a"] and packed == {"a": "A", "b": "B"}


def _garbage_after(fn, repeats=200):
    fn()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            fn()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


def test_predict_creates_no_reference_cycles():
    a = keras.Input(shape=(4,))
    b = keras.Input(shape=(4,))
    h = keras.layers.Dense(3, activation="relu")(a)
    model = keras.Model([a, b], [keras.layers.Dense(2)(h), keras.layers.concatenate([h, b])])
    xs = [np.ones((1, 4), np.float32), np.zeros((1, 4), np.float32)]
    assert _garbage_after(lambda: model.predict(xs, verbose=0)) == 0
    assert _garbage_after(lambda: model(xs)) == 0
    seq = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    assert _garbage_after(lambda: seq.predict(xs[0], verbose=0)) == 0
