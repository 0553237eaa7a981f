"""A plan drops each intermediate array after the last step that reads it (so a batch's buffers are reused
during a run, not all held to its end), and keeps what is still to be read: arrays read by a later
branch, the model's outputs, masks."""
import gc
import weakref

import numpy as np

import nnkern
from nnkern import layers


def _reader(refs, name, factor=1.0):
    """A Lambda keeping a weak reference to the array it is given (the plan's stored intermediate)."""
    def fn(t):
        refs[name] = weakref.ref(t)
        return t * factor
    return layers.Lambda(fn)


def _checker(refs, seen):
    """A Lambda recording, when it runs, which of the referenced arrays are still alive."""
    def fn(t):
        gc.collect()
        seen.append({n: r() is not None for n, r in refs.items()})
        return t + 0.0
    return layers.Lambda(fn)


def test_intermediate_dropped_after_its_last_reader():
    refs, seen = {}, []
    x = nnkern.Input((4,))
    a = layers.Lambda(lambda t: t + 0.0)(x)
    b = _reader(refs, "a")(a)                # the last reader of a
    b2 = _reader(refs, "b")(b)               # b is read again by the Add below
    c = _checker(refs, seen)(b2)
    d = layers.Add()([b, c])
    model = nnkern.Model(x, d)
    xs = np.arange(8, dtype=np.float32).reshape(2, 4)
    refs.clear(), seen.clear()  # (building the model may have called the functions)
    np.testing.assert_allclose(model.predict(xs, verbose=0), 2 * xs)
    assert seen == [{"a": False, "b": True}]


def test_outputs_and_inputs_kept():
    refs, seen = {}, []
    x = nnkern.Input((3,))
    a = layers.Lambda(lambda t: t + 1.0)(x)
    out1 = layers.Lambda(lambda t: t + 0.0)(a)   # a model output: kept to the end
    b = _reader(refs, "x")(x)
    c = _reader(refs, "out1")(out1)
    d = _checker(refs, seen)(layers.Add()([b, c]))
    model = nnkern.Model(x, [out1, d])
    xs = np.ones((2, 3), np.float32)
    refs.clear(), seen.clear()
    o1, o2 = model.predict(xs, verbose=0)
    np.testing.assert_allclose(o1, xs + 1)
    np.testing.assert_allclose(o2, 3 * xs)
    assert seen == [{"x": True, "out1": True}]


def test_masks_survive_their_tensor():
    # The Embedding's output is read only by the LSTM, its mask by the LSTM and the pooling after it.
    x = nnkern.Input((None,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True)(x)
    h = layers.LSTM(3, return_sequences=True)(e)
    y = layers.GlobalAveragePooling1D()(h)
    model = nnkern.Model(x, y)
    ids = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], np.int32)
    got = model.predict(ids, verbose=0)
    for i, n in enumerate((2, 4)):
        one = model.predict(ids[i:i + 1, :n], verbose=0)
        np.testing.assert_allclose(got[i], one[0], rtol=1e-5, atol=1e-6)
