"""Embedding lookups and index checks for each index dtype (int32 has a one-pass path)."""
import numpy as np
import pytest

from nnkern import layers


def _layer(n=7, dim=3):
    layer = layers.Embedding(n, dim)
    layer.build()
    table = np.arange(n * dim, dtype=np.float32).reshape(n, dim)
    layer.set_weights([table])
    return layer, table


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int16, np.float32])
def test_lookup_matches_table_rows(dtype):
    layer, table = _layer()
    ids = np.array([[0, 6, 3], [2, 2, 5]]).astype(dtype)
    np.testing.assert_array_equal(layer(ids), table[ids.astype(np.int64)])


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
@pytest.mark.parametrize("bad", [-1, 7, 100])
def test_out_of_range_index_names_layer_and_index(dtype, bad):
    layer, _ = _layer()
    ids = np.array([[1, bad, 2]], dtype=dtype)
    with pytest.raises(ValueError, match=rf"Embedding layer '{layer.name}': index {bad} is out of range; indices "
                                         r"must be in \[0, 7\)"):
        layer(ids)


def test_empty_input():
    layer, _ = _layer()
    assert layer(np.zeros((0, 4), np.int32)).shape == (0, 4, 3)
    assert layer(np.zeros((0, 4), np.int64)).shape == (0, 4, 3)
