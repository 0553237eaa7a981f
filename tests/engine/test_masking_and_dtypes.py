"""Masks reaching layers whose call() takes `mask` (in predict and in direct calls), and the dtype rules:
float layers compute in float32, integer data stays integer through shape-only and merge layers."""
import numpy as np
import pytest

import nnkern as keras
import nnkern.backend as K
from nnkern import layers


@pytest.fixture(autouse=True)
def fresh_names():
    K.clear_session()


class MaskRecorder(layers.Layer):
    """Passes its input through and returns the mask it was given as a second output (0/1 floats)."""

    def call(self, inputs, mask=None):
        m = np.ones(inputs.shape[:2], bool) if mask is None else np.asarray(mask)
        return [inputs, m.astype(np.float32)]

    def compute_output_shape(self, input_shape):
        return [input_shape, input_shape[:2]]


X = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], [[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]]], dtype=np.float32)
EXPECTED_MASK = [[1, 0, 1], [0, 0, 1]]


def test_masking_mask_reaches_a_mask_taking_layer():
    inp = keras.Input(shape=(3, 2))
    out, mask = MaskRecorder()(layers.Masking()(inp))
    model = keras.Model(inp, [out, mask])
    for got_out, got_mask in (model.predict(X, verbose=0), model(X)):
        np.testing.assert_array_equal(got_mask, EXPECTED_MASK)
        np.testing.assert_array_equal(got_out, X)


def test_embedding_mask_zero_reaches_the_masked_mean():
    inp = keras.Input(shape=(4,), dtype="int32")
    emb = layers.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")
    model = keras.Model(inp, layers.GlobalAveragePooling1D()(emb(inp)))
    emb.set_weights([np.arange(10, dtype=np.float32).reshape(5, 2)])
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    expected = [[(2 + 4) / 2, (3 + 5) / 2], [6, 7]]  # the mean over unmasked steps only
    np.testing.assert_allclose(model.predict(ids, verbose=0), expected)
    np.testing.assert_allclose(model(ids), expected)


def test_mask_passes_through_mask_supporting_layers_and_stops_at_others():
    inp = keras.Input(shape=(3, 2))
    masked = layers.Masking()(inp)
    through = layers.TimeDistributed(layers.Dense(2))(masked)
    assert masked._keras_mask is not None and through._keras_mask is not None
    flat = layers.Flatten()(masked)
    assert getattr(flat, "_keras_mask", None) is None


@pytest.mark.parametrize("data", [np.array([[1, 2, 3]]), np.array([[1.0, 2.0, 3.0]], dtype=np.float64)])
def test_float_model_casts_int_and_float64_data_to_float32(data):
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, [layers.Dense(2, kernel_initializer="ones")(inp), layers.Flatten()(inp)])
    dense_out, flat_out = model.predict(data, verbose=0)
    assert dense_out.dtype == flat_out.dtype == np.float32
    np.testing.assert_array_equal(dense_out, [[6, 6]])


def test_int32_input_casts_data_and_keeps_int_through_shape_and_merge_layers():
    inp = keras.Input(shape=(2, 2), dtype="int32")
    flat = layers.Flatten()(inp)
    out = layers.concatenate([flat, layers.add([flat, flat])])
    model = keras.Model(inp, [out, layers.Dense(1, kernel_initializer="ones")(flat)])
    ints, floats = model.predict(np.array([[[1.9, 2.0], [3.0, -4.0]]]), verbose=0)
    assert ints.dtype == np.int32 and floats.dtype == np.float32
    np.testing.assert_array_equal(ints, [[1, 2, 3, -4, 2, 4, 6, -8]])  # 1.9 -> 1, as a cast to int32
    np.testing.assert_array_equal(floats, [[2]])
    # Keras's symbolic dtypes of int merges say float32 while the values are int32; never float64.
    assert out.dtype in ("int32", "float32") and model.outputs[1].dtype == "float32"


def test_input_dtype_names():
    assert keras.Input(shape=(2,), dtype="float").dtype == "float32"
    assert keras.Input(shape=(2,), dtype="int64").dtype == "int64"
    assert keras.Input(shape=2).shape == (None, 2)
