"""Kernel outputs of 16 KiB or more take 64-byte aligned memory from a cache of blocks freed by earlier
outputs (cpp/python/output_cache.cpp), so a model's per-call intermediates do not fault in fresh pages each
call."""
import gc

import numpy as np
import pytest

import nnkern
from nnkern import _core


def _big_activation(x):
    return _core.activation(x, "relu")


def test_freed_block_reused_with_fresh_values():
    _core.release_cached_outputs()
    x = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)  # 2 MiB
    y = _big_activation(x)
    address = y.ctypes.data
    assert address % 64 == 0
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    del y
    gc.collect()
    assert _core.cached_output_bytes() >= x.nbytes
    z = _big_activation(-x)
    assert z.ctypes.data == address            # the same block again
    np.testing.assert_array_equal(z, np.maximum(-x, 0))
    assert _core.cached_output_bytes() == 0
    assert z.flags.writeable and z.flags.c_contiguous and z.dtype == np.float32


def test_block_not_reused_while_alive_and_views_keep_it():
    x = np.ones((256, 1024), np.float32)  # 1 MiB
    a = _big_activation(x)
    view = a[::2]
    del a
    gc.collect()
    b = _big_activation(2 * x)
    assert not np.shares_memory(view, b)
    np.testing.assert_array_equal(view, 1.0)
    np.testing.assert_array_equal(b, 2.0)


def test_small_request_does_not_take_a_large_block():
    _core.release_cached_outputs()
    big = _big_activation(np.ones((1024, 1024), np.float32))  # 4 MiB
    del big
    gc.collect()
    held = _core.cached_output_bytes()
    small = _big_activation(np.ones((256, 1024), np.float32))  # 1 MiB: a 4 MiB block is more than 1.5x
    assert _core.cached_output_bytes() == held
    del small


def test_release_and_clear_session_free_the_cache():
    a = _big_activation(np.ones((512, 1024), np.float32))
    del a
    gc.collect()
    assert _core.cached_output_bytes() > 0
    nnkern.backend.clear_session()
    assert _core.cached_output_bytes() == 0
    b = _big_activation(np.ones((512, 1024), np.float32))
    del b
    gc.collect()
    assert _core.release_cached_outputs() > 0
    assert _core.cached_output_bytes() == 0


def test_idle_cache_is_bounded():
    _core.release_cached_outputs()
    x = np.ones((32, 1 << 20), np.float32)  # 128 MiB
    arrays = [_big_activation(x) for _ in range(3)]
    del arrays
    gc.collect()
    assert _core.cached_output_bytes() <= 256 << 20
    _core.release_cached_outputs()


def test_small_outputs_are_numpys_own():
    _core.release_cached_outputs()
    y = _big_activation(np.ones((4, 1000), np.float32))  # under 16 KiB
    assert y.flags.owndata
    del y
    gc.collect()
    assert _core.cached_output_bytes() == 0
    z = _big_activation(np.ones((4, 1024), np.float32))  # 16 KiB
    assert not z.flags.owndata and z.ctypes.data % 64 == 0


def test_most_recently_freed_block_first():
    _core.release_cached_outputs()
    x = np.ones((128, 1024), np.float32)  # 512 KiB
    a, b = _big_activation(x), _big_activation(x)
    first, second = a.ctypes.data, b.ctypes.data
    del a
    gc.collect()
    del b  # freed last: its lines are the likeliest still in cache
    gc.collect()
    c = _big_activation(x)
    assert c.ctypes.data == second
    d = _big_activation(x)
    assert d.ctypes.data == first


def test_sole_output_in_only_for_an_unshared_kernel_output():
    # A plan lets a kernel write over a dead residual only when nothing else can see that array.
    x = np.ones((64, 1024), np.float32)  # 256 KiB
    values = [_big_activation(x), np.ones((64, 1024), np.float32), _big_activation(np.ones(4, np.float32))]
    assert _core.sole_output_in(values, 0)
    assert not _core.sole_output_in(values, 1)  # numpy's own memory: not a kernel output
    assert not _core.sole_output_in(values, 2)  # a small output: numpy's own too
    held = values[0]
    assert not _core.sole_output_in(values, 0)  # another reference
    del held
    view = values[0][:1]
    assert not _core.sole_output_in(values, 0)  # a view of it
    del view
    values.append(values[0])
    assert not _core.sole_output_in(values, 0)  # the same array in two places
    values.pop()
    assert _core.sole_output_in(values, 0)
    values.append(None)
    assert not _core.sole_output_in(values, 3)
    with pytest.raises(IndexError):
        _core.sole_output_in(values, 4)
    values[0].flags.writeable = False
    assert not _core.sole_output_in(values, 0)
