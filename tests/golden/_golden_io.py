"""Reading and writing golden cases: one ``data/<family>.json`` (case parameters, in order) and one
``data/<family>.npz`` (arrays, keyed ``<case id>/<array name>``) per kernel family or layer group.
Used by the Keras generator (writing) and by the tests (reading); needs numpy only."""
import json
import pathlib

import numpy as np

DATA_DIR = pathlib.Path(__file__).resolve().parent / "data"


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

    def save(self, data_dir=DATA_DIR):
        data_dir = pathlib.Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / f"{self.family}.json").write_text(json.dumps(self.cases, indent=1, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
        np.savez_compressed(data_dir / f"{self.family}.npz", **self.arrays)
        return len(self.cases)


def load_cases(family, data_dir=DATA_DIR):
    """[(params dict, {array name: ndarray}), ...] for one family, in generation order."""
    data_dir = pathlib.Path(data_dir)
    cases = json.loads((data_dir / f"{family}.json").read_text(encoding="utf-8"))
    with np.load(data_dir / f"{family}.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    out = []
    for case in cases:
        prefix = case["id"] + "/"
        out.append((case, {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}))
    return out
