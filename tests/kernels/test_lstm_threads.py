"""nnkern._core.lstm with its recurrence split into unit slices (each slice: its columns of the
recurrent product and its gates, for the whole sequence), shared by the threads: masks,
go_backwards, return_sequences and odd slice widths, against the numpy reference, bitwise the same
on 1, 2 and 3 threads. The slices come from the shape (>= 128 units, one per 2 MFLOP of a step)."""
import numpy as np
import pytest

from nnkern import _core
from numpy_ref.lstm import lstm as lstm_ref


@pytest.mark.parametrize("go_backwards,return_sequences", [(False, True), (True, True), (True, False)])
def test_slices_with_mask_match_reference_bitwise_on_1_2_3_threads(go_backwards, return_sequences, on_threads):
    # batch 16 x units 200: a step is ~5 MFLOP: two slices (104 + 96 units).
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
    got = on_threads(lambda: _core.lstm(x, kernel, recurrent, **kw))
    for g, want in zip(got, lstm_ref(x, kernel, recurrent, **kw)):
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("batch,units", [(330, 137), (60, 147), (40, 301)])
def test_odd_unit_slices(batch, units, on_threads):
    # Slices start on multiples of 8 units: 72 + 65; 80 + 67; 104 + 96 + 101; tails shorter than a
    # vector block.
    rng = np.random.default_rng(units)
    x = rng.uniform(-1, 1, (batch, 3, 4)).astype(np.float32)
    kernel = rng.uniform(-0.5, 0.5, (4, 4 * units)).astype(np.float32)
    recurrent = rng.uniform(-0.5, 0.5, (units, 4 * units)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, 4 * units).astype(np.float32)
    got = on_threads(lambda: _core.lstm(x, kernel, recurrent, bias=bias, return_sequences=True))
    for g, e in zip(got, lstm_ref(x, kernel, recurrent, bias=bias, return_sequences=True)):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
