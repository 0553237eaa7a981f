"""Reading and writing golden cases; needs numpy only. Used by the Keras generators (writing) and by the tests
(reading). Per kernel family or layer group:

- ``data/<family>.json.gz``: {"cases": [case parameters, in order], "arrays": [one record per array, keyed
  ``<case id>/<array name>``: dtype, shape, and either the `seeded` recipe or nothing (stored)]}.
- ``data/<family>.npz``: the stored arrays, concatenated per dtype in record order, byte-shuffled (the i-th
  bytes of all values together: deflate then finds the runs in sign/exponent bytes).

Arrays the generator drew with `seeded` (inputs, weights) are not stored but recreated from their recipe
(shape, seed, range, grid) when loaded: only Keras's outputs take space. Families written before this format
(``<family>.json`` list of cases + ``<family>.npz`` of plain arrays) still load.

Other JSON the tests read (model configs) is stored compressed, ``.json.gz`` or (smaller) ``.json.xz``:
``write_compressed`` / ``read_json``.

Model files in HDF5 (``.h5``, as Keras / tf-keras wrote them) are stored gzipped as ``<name>.h5.gz``: mostly
empty space, they shrink ~8 times. Tests read them as ``DATA_DIR / "<name>.h5"``: DATA_DIR is a view of the
data folder (built on first use, in a temporary folder) where every other file is a link to the stored one."""
import atexit
import gzip
import hashlib
import io
import json
import lzma
import pathlib
import shutil
import tempfile

import numpy as np

SOURCE_DIR = pathlib.Path(__file__).resolve().parent / "data"  # as the repository holds it (the writers' folder)
GZIPPED = (".h5",)  # model file types stored as `<name><suffix>.gz`

# Arrays made by `seeded` in this process, by content: the writer stores their recipe instead of their values.
_SEEDED_RECIPES = {}


def _content_key(array):
    return array.dtype.str, array.shape, hashlib.sha256(np.ascontiguousarray(array).tobytes()).digest()


def _draw(shape, seed, low, high, steps):
    # numpy guarantees default_rng's (PCG64) stream and `uniform` for a given seed across versions, so a recipe
    # recreates the very array the generator used (test_golden_data.py holds checksums of a few).
    values = np.random.default_rng(seed).uniform(low, high, size=shape).astype(np.float32)
    return values if steps is None else np.round(values * steps) / steps


def seeded(shape, seed, low=-1.0, high=1.0, steps=None):
    """Reproducible float32 uniform values in [low, high); steps: rounded to a 1/steps grid (exact in
    float32). Golden writers store such an array as its recipe."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    recipe = {"seed": _plain(seed), "low": float(low), "high": float(high)}
    if steps is not None:
        recipe["steps"] = int(steps)
    values = _draw(shape, recipe["seed"], recipe["low"], recipe["high"], recipe.get("steps"))
    _SEEDED_RECIPES[_content_key(values)] = recipe
    return values


def forget_seeded_arrays():
    """Start a family afresh: an output equal to an array an earlier family drew is then stored, as when the
    family runs alone (its files do not depend on which families ran before it)."""
    _SEEDED_RECIPES.clear()


def _plain(seed):
    """A seed as JSON keeps it (default_rng accepts an int or a sequence of ints)."""
    return int(seed) if np.ndim(seed) == 0 else [int(s) for s in seed]


def _recreate(record):
    recipe = record["seeded"]
    return _draw(tuple(record["shape"]), recipe["seed"], recipe["low"], recipe["high"], recipe.get("steps"))


def _shuffled(flat):
    return flat.view(np.uint8).reshape(-1, flat.dtype.itemsize).T.copy()


def _unshuffled(planes, dtype):
    return np.ascontiguousarray(planes.T).reshape(-1).view(dtype)


class GoldenWriter:
    """Collects cases for one family, then writes them in one go with ``save()``."""

    def __init__(self, family):
        self.family = family
        self.cases = []
        self.arrays = {}

    def add(self, case_id, params, **arrays):
        if any(c["id"] == case_id for c in self.cases):
            raise ValueError(f"duplicate golden case id {case_id!r} in {self.family}")
        self.cases.append({"id": case_id, **params})
        for name, value in arrays.items():
            self.arrays[f"{case_id}/{name}"] = np.asarray(value)

    def save(self, data_dir=SOURCE_DIR):
        data_dir = pathlib.Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        records, stored = [], {}
        for key, array in self.arrays.items():
            record = {"key": key, "dtype": array.dtype.str, "shape": list(array.shape)}
            recipe = _SEEDED_RECIPES.get(_content_key(array))
            if recipe is not None:
                record["seeded"] = recipe
            else:
                stored.setdefault(array.dtype.str, []).append(array.reshape(-1))
            records.append(record)
        text = json.dumps({"cases": self.cases, "arrays": records}, indent=1, ensure_ascii=False) + "\n"
        write_compressed(data_dir / f"{self.family}.json.gz", text)
        (data_dir / f"{self.family}.json").unlink(missing_ok=True)  # the earlier format's case file
        np.savez_compressed(data_dir / f"{self.family}.npz",
                            **{dtype: _shuffled(np.concatenate(parts)) for dtype, parts in stored.items()})
        return len(self.cases)


def _read_arrays(data_dir, family):
    """(cases, {key: ndarray}) from either format."""
    packed = data_dir / f"{family}.json.gz"
    if not packed.exists():  # the earlier format
        cases = json.loads((data_dir / f"{family}.json").read_text(encoding="utf-8"))
        with np.load(data_dir / f"{family}.npz") as npz:
            return cases, {k: npz[k] for k in npz.files}
    index = read_json(packed)
    with np.load(data_dir / f"{family}.npz") as npz:
        flat = {dtype: _unshuffled(npz[dtype], np.dtype(dtype)) for dtype in npz.files}
    offsets = dict.fromkeys(flat, 0)
    arrays = {}
    for record in index["arrays"]:
        shape = tuple(record["shape"])
        if "seeded" in record:
            arrays[record["key"]] = _recreate(record)
            continue
        dtype, start = record["dtype"], offsets[record["dtype"]]
        offsets[dtype] = start + int(np.prod(shape, dtype=np.int64))
        arrays[record["key"]] = flat[dtype][start:offsets[dtype]].reshape(shape)
    return index["cases"], arrays


def load_cases(family, data_dir=SOURCE_DIR):
    """[(params dict, {array name: ndarray}), ...] for one family, in generation order."""
    cases, arrays = _read_arrays(pathlib.Path(data_dir), family)
    out = []
    for case in cases:
        prefix = case["id"] + "/"
        out.append((case, {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}))
    return out


def _compress(data, suffix):
    if suffix == ".xz":
        return lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    if suffix == ".gz":  # mtime 0 and no file name in the header: the bytes depend on `data` only
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
            f.write(data)
        return buf.getvalue()
    raise ValueError(f"not a compressed file name (.gz or .xz): {suffix!r}")


def write_compressed(path, data):
    """`data` (bytes, or text as UTF-8) compressed as the suffix of `path` says, `.gz` or `.xz` (about half the size
    for JSON configs); a file already holding `data` is not rewritten (no churn)."""
    path = pathlib.Path(path)
    data = data.encode("utf-8") if isinstance(data, str) else data
    if path.exists() and read_compressed(path) == data:  # compared decompressed: another zlib may pack otherwise
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_compress(data, path.suffix))


def read_compressed(path):
    """The bytes of a `.gz` or `.xz` file."""
    path = pathlib.Path(path)
    blob = path.read_bytes()
    if path.suffix == ".xz":
        return lzma.decompress(blob)
    if path.suffix == ".gz":
        return gzip.decompress(blob)
    raise ValueError(f"not a compressed file name (.gz or .xz): {path}")


def read_json(path):
    """The JSON value of a `.json.gz` or `.json.xz` file."""
    return json.loads(read_compressed(path).decode("utf-8"))


def store_gzipped(path):
    """Replace the model file `path` (just written by Keras) by `<path>.gz`, rewritten only when its content
    changed (no churn)."""
    path = pathlib.Path(path)
    data, stored = path.read_bytes(), path.with_name(path.name + ".gz")
    write_compressed(stored, data)
    path.unlink()
    return stored


_DECOMPRESSED = {}  # stored .gz path -> its decompressed copy in this process's temporary folder


def _temporary_folder():
    if "folder" not in _DECOMPRESSED:
        _DECOMPRESSED["folder"] = pathlib.Path(tempfile.mkdtemp(prefix="nnkern-golden-"))
        atexit.register(shutil.rmtree, _DECOMPRESSED["folder"], ignore_errors=True)
    return _DECOMPRESSED["folder"]


def readable(path):
    """The path of a readable copy of the data file `path`: itself, or (stored gzipped) a decompressed copy."""
    path = pathlib.Path(path)
    stored = path.with_name(path.name + ".gz")
    if path.exists() or path.suffix not in GZIPPED or not stored.exists():
        return path
    copy = _DECOMPRESSED.get(stored)
    if copy is None:
        copy = _temporary_folder() / f"{len(_DECOMPRESSED)}" / path.name
        copy.parent.mkdir()
        copy.write_bytes(gzip.decompress(stored.read_bytes()))
        _DECOMPRESSED[stored] = copy
    return copy


def _data_view():
    """SOURCE_DIR with each gzipped model file decompressed and every other file linked."""
    view = _temporary_folder() / "data"
    if not view.exists():
        for src in sorted(SOURCE_DIR.rglob("*")):
            target = view / src.relative_to(SOURCE_DIR)
            if src.is_dir():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if src.suffix == ".gz" and pathlib.Path(src.stem).suffix in GZIPPED:
                target.with_name(src.stem).write_bytes(gzip.decompress(src.read_bytes()))
            else:
                target.symlink_to(src)
    return view


def __getattr__(name):
    """DATA_DIR: the data folder as tests read it (see the module's docstring), made on first use."""
    if name == "DATA_DIR":
        return _data_view()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
