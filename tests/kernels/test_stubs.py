"""The committed type stubs python/nnkern/_core.pyi and _cpu.pyi are what pybind11-stubgen makes of
the built extensions now: a binding changed without regenerating them fails here. Regenerate with
    PYTHONPATH=python python -m pybind11_stubgen nnkern._core nnkern._cpu -o python
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import nnkern

pytest.importorskip("pybind11_stubgen")  # in the `test` extra, so CI runs this

REPO_PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "python" / "nnkern"
PACKAGE_ROOT = str(pathlib.Path(nnkern.__file__).resolve().parent.parent)  # the nnkern under test


def without_version(text):
    # The version has its one source in pyproject.toml; a release must not need a new stub.
    return re.sub(r"(?m)^__version__: str = .*$", "__version__: str", text)


@pytest.mark.parametrize("module", ["_core", "_cpu"])
def test_committed_stub_is_current(module, tmp_path):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    subprocess.run([sys.executable, "-m", "pybind11_stubgen", f"nnkern.{module}", "-o", str(tmp_path), "--exit-code"],
                   env=env, check=True, capture_output=True, timeout=300)
    fresh = (tmp_path / "nnkern" / f"{module}.pyi").read_text()
    committed = (REPO_PACKAGE / f"{module}.pyi").read_text()
    assert without_version(committed) == without_version(fresh), (
        f"python/nnkern/{module}.pyi is stale: regenerate it (see this test's docstring)")


def test_package_is_marked_typed():
    assert (REPO_PACKAGE / "py.typed").is_file()
