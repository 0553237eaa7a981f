"""matplotlib is optional: ``import nnkern`` (and nnkern.utils / nnkern.explore) never imports it,
and drawing without it raises an ImportError naming the ``nnkern[plot]`` extra. Run in subprocesses
so that this test process's modules do not count."""
import os
import pathlib
import subprocess
import sys

import nnkern

NNKERN_PARENT = pathlib.Path(nnkern.__file__).resolve().parents[1]


def run_python(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(NNKERN_PARENT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_import_does_not_import_matplotlib():
    result = run_python("import sys, nnkern, nnkern.utils, nnkern.explore\n"
                        "from nnkern.utils import plot_model, model_to_dot\n"
                        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_drawing_without_matplotlib_names_the_extra():
    code = """
import sys
sys.modules["matplotlib"] = None  # as if it were not installed
import numpy as np
import nnkern as keras
x = keras.Input((3,))
model = keras.Model(x, keras.layers.Dense(2)(x))
print(keras.utils.model_to_dot(model).to_string().count("->"))  # the DOT text needs no matplotlib
for call in (lambda: keras.utils.plot_model(model, "m.png"),
             lambda: keras.explore.layer(keras.layers.Dense(2), np.ones((1, 3))),
             lambda: keras.explore.model(model, np.ones((1, 3)))):
    try:
        call()
    except ImportError as e:
        print("ImportError:", e)
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "1"
    assert len(lines) == 4
    for line in lines[1:]:
        assert line.startswith("ImportError:") and 'pip install "nnkern[plot]"' in line


def test_plot_model_returns_none_without_ipython(tmp_path):
    code = f"""
import sys
sys.modules["IPython"] = None  # as if IPython were not installed
import nnkern as keras
x = keras.Input((3,))
model = keras.Model(x, keras.layers.Dense(2)(x))
print(keras.utils.plot_model(model, {str(tmp_path / "m.png")!r}))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
