"""Load time of whole-model `.keras` files: nnkern's load_model against h5py reading the same weights and
against Keras 3's load_model.

    python bench/load_time.py                                   # every model of bench/models.py
    python bench/load_time.py --models resnet50 --repeats 11

The files are saved by Keras (bench/model_files.py, cached in --cache, not committed). Per model and
candidate the figure is the median of --repeats timed loads after one untimed warm-up load:
- nnkern: `nnkern.models.load_model(path)` (this process);
- h5py: the floor any loader pays - read the file, take model.weights.h5 out of the zip, open it with h5py
  and read every dataset into a numpy array (this process; interleaved with nnkern's loads, so both see the
  same machine load);
- Keras: `keras.models.load_model(path)` in a Python with Keras (JAX backend; its own process, since it is
  another environment), import time excluded.
"""
import argparse
import io
import json
import statistics
import subprocess
import sys
import time
import zipfile
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model_files  # noqa: E402
from environment import child_environ, import_nnkern  # noqa: E402

DEFAULT_MODELS = tuple(sorted(model_files.MODELS))  # every model of bench/models.py

KERAS_SCRIPT = """
import json, statistics, sys, time
import keras
path, repeats = sys.argv[1], int(sys.argv[2])
keras.models.load_model(path)
times = []
for _ in range(repeats):
    t = time.perf_counter()
    keras.models.load_model(path)
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def h5py_read_all(path):
    """Every weight of a `.keras` file as numpy arrays, read with h5py: the floor of loading it."""
    import h5py
    with open(path, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        weights = zf.read("model.weights.h5")
    arrays = []
    with h5py.File(io.BytesIO(weights), "r") as h5:
        h5.visititems(lambda name, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def keras_load_times(path, repeats, python):
    env = child_environ("jax")
    env["CUDA_VISIBLE_DEVICES"] = ""
    out = subprocess.run([python, "-c", KERAS_SCRIPT, str(path), str(repeats)], check=True, env=env,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name, args, nnkern):
    path = model_files.ensure(name, args.cache, args.keras_python)
    fns = {"nnkern": lambda: nnkern.models.load_model(path), "h5py": lambda: h5py_read_all(path)}
    times = {n: [] for n in fns}
    for fn in fns.values():
        fn()
    for _ in range(args.repeats):  # interleaved: both see the same machine load
        for n, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[n].append(time.perf_counter() - t)
    if not args.skip_keras:
        times["keras"] = keras_load_times(path, args.repeats, model_files.keras_python(args.keras_python))
    size = os.path.getsize(path)
    return {"model": name, "bytes": size, **{n: statistics.median(t) for n, t in times.items()}}


def table(rows, repeats):
    """Markdown lines: per model the medians of nnkern, the h5py read and Keras, and the two ratios."""
    lines = [f"median of {repeats} loads, seconds (load average {os.getloadavg()[0]:.1f})", "",
             "| model | file MB | nnkern | h5py read | nnkern / h5py | Keras | Keras / nnkern |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        keras = r.get("keras")
        lines.append(f"| {r['model']} | {r['bytes'] / 1e6:.1f} | {r['nnkern']:.3f} | {r['h5py']:.3f} | "
                     f"{r['nnkern'] / r['h5py']:.2f} | " +
                     (f"{keras:.3f} | {keras / r['nnkern']:.1f} |" if keras else "- | - |"))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS),
                    help=f"comma-separated, of {sorted(model_files.MODELS)} (default: {','.join(DEFAULT_MODELS)})")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--cache", default=str(model_files.DEFAULT_CACHE), help="directory of the generated files")
    ap.add_argument("--keras-python", help="a Python with Keras 3 (default: /tmp/benchenv, else /tmp/keras)")
    ap.add_argument("--skip-keras", action="store_true", help="do not time Keras's load_model")
    args = ap.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(model_files.MODELS))
    if unknown:
        ap.error(f"unknown model(s) {unknown}; known: {sorted(model_files.MODELS)}")
    nnkern = import_nnkern()
    rows = [measure(m, args, nnkern) for m in models]
    print("\n".join(table(rows, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
