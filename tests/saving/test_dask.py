"""Batch inference over a Dask array with map_blocks(model.predict), as docs/dask.md shows; the process
scheduler also exercises pickling the model to worker processes."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR

da = pytest.importorskip("dask.array")


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_map_blocks_predict_matches_predict(scheduler):
    model = nnkern.models.load_model(DATA_DIR / "saving" / "dense_sequential.keras")
    x = np.random.default_rng(0).normal(size=(1000, 6)).astype(np.float32)
    expected = model.predict(x, batch_size=1000, verbose=0)
    darr = da.from_array(x, chunks=(256, 6))
    out = darr.map_blocks(model.predict, chunks=(darr.chunks[0], (4,)), dtype=np.float32)
    got = out.compute(scheduler=scheduler, num_workers=2)
    assert got.shape == (1000, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
