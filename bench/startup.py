"""Start-up costs, each measured in fresh subprocesses: `import` time and peak RSS of import + W10.
Linux keeps a process's ru_maxrss across fork + exec, so a child reports at least its parent's peak at the
time it was started: compare.py measures these before its parent loads any model."""
import statistics
import subprocess
import sys

from environment import REPO, child_environ, keras_backend

HERE = REPO / "bench"


RSS_SCRIPT = """
import resource, sys, time
sys.path.insert(0, {here!r})
t = time.perf_counter()
import numpy as np
if {lib!r} == "nnkern":
    from environment import import_nnkern
    K = import_nnkern()
    K.set_num_threads({threads})
elif {lib!r} == "keras":
    import keras as K
else:
    K = None
if K is not None:
    import workloads
    spec = workloads.select(["W10"])[0]
    rng = np.random.default_rng(0)
    x = workloads.make_input(spec, rng)
    model = workloads.build_model(K, spec)
    model.set_weights(workloads.make_weights(spec, rng))
    for _ in range(20):
        model.predict(x, batch_size=len(x), verbose=0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""

IMPORT_SCRIPT = """
import sys, time
sys.path.insert(0, {here!r})
t = time.perf_counter()
{stmt}
print(time.perf_counter() - t)
"""


def run_python(code, env):
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed")
    return float(res.stdout.strip().splitlines()[-1])


def measure_startup(quick, with_keras):
    """Medians over subprocesses of `import` time; peak RSS of import + W10. Failures are kept as errors."""
    backend = keras_backend()
    env = child_environ(backend)
    nnkern_import = ("import nnkern" if nnkern_importable(env) else
                     f"sys.path.insert(0, {str(REPO / 'python')!r}); import nnkern")
    reps = 2 if quick else 7
    out = {"backend": backend, "errors": {}}
    jobs = [("import nnkern", IMPORT_SCRIPT.format(here=str(HERE), stmt=nnkern_import), reps),
            ("import numpy", IMPORT_SCRIPT.format(here=str(HERE), stmt="import numpy"), reps),
            ("rss python+numpy", RSS_SCRIPT.format(here=str(HERE), lib="numpy", threads=1), 1),
            ("rss nnkern W10", RSS_SCRIPT.format(here=str(HERE), lib="nnkern", threads=1), 1)]
    if with_keras:
        jobs += [("import keras", IMPORT_SCRIPT.format(here=str(HERE), stmt="import keras"), 1 if quick else 3),
                 ("rss keras W10", RSS_SCRIPT.format(here=str(HERE), lib="keras", threads=1), 1)]
    for name, code, n in jobs:
        try:
            values = [run_python(code, env) for _ in range(n)]
        except RuntimeError as e:
            out["errors"][name] = str(e)
            continue
        out[name] = statistics.median(values)
        out[name + " min"] = min(values)
    return out


def nnkern_importable(env):
    """Whether a child with `env` imports nnkern as installed (this process may have it from the source tree)."""
    code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('nnkern') is None)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True).returncode == 0

