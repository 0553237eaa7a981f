"""nnkern._core.lstm on two threads, where each thread owns a slice of the units (its columns of
the recurrent product and its gates) for the whole sequence: masks, go_backwards,
return_sequences and odd slice widths, against the numpy reference and the one-thread result."""
import numpy as np
import pytest

from nnkern import _core
from numpy_ref.lstm import lstm as lstm_ref


@pytest.fixture(autouse=True)
def threaded_even_under_load():
    # Load awareness off: the unit split runs even while other processes keep the cores busy.
    aware = _core.load_aware()
    _core.set_load_aware(False)
    yield
    _core.set_load_aware(aware)


@pytest.mark.parametrize("go_backwards,return_sequences", [(False, True), (True, True), (True, False)])
def test_two_threads_with_mask_match_reference_and_one_thread(go_backwards, return_sequences):
    # batch 16 x units 200: a step is ~5 MFLOP, enough for threads_for_work to use two threads
    # (unit slices of 104 + 96).
    rng = np.random.default_rng(11)
    batch, timesteps, input_dim, units = 16, 5, 6, 200
    x = rng.uniform(-1, 1, (batch, timesteps, input_dim)).astype(np.float32)
    kernel = rng.uniform(-0.3, 0.3, (input_dim, 4 * units)).astype(np.float32)
    recurrent = rng.uniform(-0.3, 0.3, (units, 4 * units)).astype(np.float32)
    bias = rng.uniform(-0.3, 0.3, 4 * units).astype(np.float32)
    mask = rng.uniform(size=(batch, timesteps)) > 0.3
    h0 = rng.uniform(-1, 1, (batch, units)).astype(np.float32)
    c0 = rng.uniform(-1, 1, (batch, units)).astype(np.float32)
    kw = dict(bias=bias, return_sequences=return_sequences, go_backwards=go_backwards, initial_h=h0, initial_c=c0,
              mask=mask)
    expected = lstm_ref(x, kernel, recurrent, **kw)
    before = _core.get_num_threads()
    try:
        _core.set_num_threads(2)
        two = _core.lstm(x, kernel, recurrent, **kw)
        _core.set_num_threads(1)
        one = _core.lstm(x, kernel, recurrent, **kw)
    finally:
        _core.set_num_threads(before)
    for got, want, single in zip(two, expected, one):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got, single, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch,units", [(4000, 9), (330, 37)])
def test_two_threads_with_odd_unit_slices(batch, units):
    # Slices of 8 + 1 and 24 + 13 units (slices start on multiples of 8); ~5 MFLOP per step.
    rng = np.random.default_rng(units)
    x = rng.uniform(-1, 1, (batch, 3, 4)).astype(np.float32)
    kernel = rng.uniform(-0.5, 0.5, (4, 4 * units)).astype(np.float32)
    recurrent = rng.uniform(-0.5, 0.5, (units, 4 * units)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, 4 * units).astype(np.float32)
    expected = lstm_ref(x, kernel, recurrent, bias=bias, return_sequences=True)
    before = _core.get_num_threads()
    try:
        _core.set_num_threads(2)
        got = _core.lstm(x, kernel, recurrent, bias=bias, return_sequences=True)
    finally:
        _core.set_num_threads(before)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
