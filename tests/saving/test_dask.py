"""Batch inference over a Dask array with map_blocks(model.predict), as the README shows (bundled digits
model); the process scheduler also sends the model to worker processes by pickling it."""
import pathlib

import numpy as np
import pytest

import nnkern

da = pytest.importorskip("dask.array")
DATA = pathlib.Path(nnkern.__file__).resolve().parent / "data"


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_map_blocks_predict_matches_predict(scheduler):
    model = nnkern.models.load_model(DATA / "digits_cnn.keras")
    with np.load(DATA / "digits_test.npz") as npz:
        x, y = npz["x"], npz["y"]
    images = da.from_array(x, chunks=(100, 8, 8, 1))
    probs = images.map_blocks(model.predict, drop_axis=[2, 3], chunks=(images.chunks[0], (10,)),
                              dtype=np.float32)
    got = probs.compute(scheduler=scheduler, num_workers=2)
    assert got.shape == (360, 10)
    np.testing.assert_allclose(got, model.predict(x, batch_size=360, verbose=0), rtol=1e-5, atol=1e-7)
    assert int((got.argmax(axis=1) == y).sum()) == 352  # Keras's recorded 0.97777 on these digits
