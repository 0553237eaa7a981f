"""Weight buffers start on a 64-byte boundary and keep it (and their identity) through assign()."""
import numpy as np
import pytest

import nnkern
from nnkern import layers
from nnkern.engine.variable import ALIGNMENT, Variable


@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 5), (7, 3, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_new_variable_is_aligned_copy(shape, dtype):
    value = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    v = Variable(value, dtype=dtype)
    assert v.value.ctypes.data % ALIGNMENT == 0 or v.value.size == 0  # no data, nothing to align
    assert v.value.flags.c_contiguous and v.value.flags.writeable
    assert v.value.dtype == np.dtype(dtype) and v.value.shape == shape
    np.testing.assert_array_equal(v.value, value)
    expected = value.copy()
    value[...] = 1  # a copy: the caller's array is not shared
    np.testing.assert_array_equal(v.value, expected)


def test_from_fortran_order_and_lists():
    a = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    v = Variable(a)
    assert v.value.flags.c_contiguous and v.value.ctypes.data % ALIGNMENT == 0
    np.testing.assert_array_equal(v.value, a)
    np.testing.assert_array_equal(Variable([[1, 2], [3, 4]], dtype="float32").value, [[1, 2], [3, 4]])


def test_layer_weights_stay_aligned_after_set_weights():
    model = nnkern.Sequential([layers.Input((5,)), layers.Dense(3)])
    kernel = model.layers[0].kernel
    before = kernel.value
    model.set_weights([np.ones((5, 3), np.float32), np.zeros(3, np.float32)])
    assert kernel.value is before and before.ctypes.data % ALIGNMENT == 0
    np.testing.assert_array_equal(model.predict(np.ones((1, 5), np.float32), verbose=0), [[5.0, 5.0, 5.0]])
