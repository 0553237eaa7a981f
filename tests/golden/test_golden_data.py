"""The golden data format (_golden_io): seeded arrays recreated from their recipe, the rest stored packed; and
the size of the whole data folder."""
import hashlib
import json

import numpy as np
import pytest

from _golden_io import SOURCE_DIR, GoldenWriter, load_cases, read_compressed, read_json, seeded, write_compressed

DATA_BUDGET = 4_250_000  # bytes, everything under tests/golden/data ("a few MB"; 8.7 MB before they were packed)


def test_data_folder_stays_small():
    files = [p for p in SOURCE_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= DATA_BUDGET


# sha256 of arrays the generators drew and the goldens stored before they were kept as recipes (pooling's
# max2d_p1_sNone_valid_2x7x9x3/x, conv2d's grid_valid_s1_d1_k1/kernel and /bias). If numpy's default_rng stream
# ever changed, the recreated inputs and weights would no longer be those Keras's outputs were computed from.
@pytest.mark.parametrize("recipe,sha256", [
    (((2, 7, 9, 3), 1, -4.0, -0.5, 128), "f7a8b2ad54f28f937f56c5eb4345ef3741ddff36a765c3b6ff32bf1abc97f399"),
    (((1, 1, 3, 4), 1001, -1.0, 1.0, None), "b0f553ddab24274a8555092519603b4fe50d29a01a2d79e03c17743fb94c7c63"),
    (((4,), 2001, -1.0, 1.0, None), "dbb3576649aebf1e3dbe1ef7ac0b192511175197788e82fc42d4823c9e204601"),
])
def test_seeded_arrays_are_those_the_goldens_were_made_from(recipe, sha256):
    shape, seed, low, high, steps = recipe
    assert hashlib.sha256(seeded(shape, seed, low, high, steps=steps).tobytes()).hexdigest() == sha256


def _index(data_dir, family):
    return read_json(data_dir / f"{family}.json.gz")


def test_round_trip_keeps_every_array(tmp_path):
    grid = seeded((2, 3, 4), 7, -2, 2, steps=16)
    changed = seeded((5,), 8)
    changed[0] = 3.0  # no longer what its recipe makes: stored
    arrays = {"grid": grid, "plain": seeded((3, 2), [1, 2]), "changed": changed,
              "output": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), "empty": np.zeros((0, 3), np.float32),
              "ints": np.arange(6, dtype=np.int32).reshape(2, 3), "mask": np.array([True, False, True]),
              "half": np.array([0.5, -2], np.float16), "wide": np.array([1e-300], np.float64), "scalar": np.float32(2.5)}
    w = GoldenWriter("fam")
    w.add("a", {"k": 1}, **arrays)
    w.add("b", {"k": [2, None]}, y=np.float32([[7, 8]]))
    assert w.save(tmp_path) == 2

    (case_a, got_a), (case_b, got_b) = load_cases("fam", tmp_path)
    assert case_a == {"id": "a", "k": 1} and case_b == {"id": "b", "k": [2, None]}
    assert got_a.keys() == arrays.keys() and list(got_b) == ["y"]
    for name, want in arrays.items():
        want = np.asarray(want)
        assert got_a[name].dtype == want.dtype and got_a[name].shape == want.shape, name
        np.testing.assert_array_equal(got_a[name], want, err_msg=name)
    np.testing.assert_array_equal(got_b["y"], [[7, 8]])
    recreated = {r["key"] for r in _index(tmp_path, "fam")["arrays"] if "seeded" in r}
    assert recreated == {"a/grid", "a/plain"}


def test_writing_twice_gives_the_same_bytes(tmp_path):
    def write(directory):
        w = GoldenWriter("fam")
        w.add("a", {}, x=seeded((4, 4), 3), y=np.float32([1, 2, 3]))
        w.save(directory)
        return [(directory / f"fam.{ext}").read_bytes() for ext in ("json.gz", "npz")]

    assert write(tmp_path / "one") == write(tmp_path / "two")


def test_earlier_format_still_loads(tmp_path):
    """Families not regenerated since (a `<family>.json` list and an `.npz` of plain arrays) load as before."""
    (tmp_path / "old.json").write_text(json.dumps([{"id": "a", "n": 1}]), encoding="utf-8")
    np.savez_compressed(tmp_path / "old.npz", **{"a/x": np.float32([1, 2]), "a/y": np.int32([3])})
    [(case, arrays)] = load_cases("old", tmp_path)
    assert case == {"id": "a", "n": 1}
    np.testing.assert_array_equal(arrays["x"], np.float32([1, 2]))
    assert arrays["y"].dtype == np.int32


@pytest.mark.parametrize("suffix", [".gz", ".xz"])
def test_compressed_json_round_trip(tmp_path, suffix):
    path = tmp_path / f"config.json{suffix}"
    value = {"layers": [{"name": "conv", "filters": 8}] * 50, "text": "é"}
    write_compressed(path, json.dumps(value))
    assert read_json(path) == value
    assert path.stat().st_size < len(json.dumps(value)) / 4
    before = path.stat().st_mtime_ns  # the same content again: not rewritten
    write_compressed(path, json.dumps(value).encode("utf-8"))
    assert path.stat().st_mtime_ns == before
    write_compressed(path, json.dumps({"other": 1}))
    assert read_compressed(path) == b'{"other": 1}'


def test_compressed_file_names_need_a_known_suffix(tmp_path):
    with pytest.raises(ValueError, match="not a compressed file name"):
        write_compressed(tmp_path / "config.json", "{}")
