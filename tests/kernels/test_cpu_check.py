"""The import-time CPU check (nnkern._cpu): on a CPU without the instruction sets the kernels were
compiled for, ``import nnkern`` raises ImportError naming them instead of dying with SIGILL in the
first kernel call. Run under qemu-user's CPU models (.ci/run installs qemu-user)."""
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

import nnkern
from nnkern import _cpu

QEMU = shutil.which("qemu-x86_64")
PACKAGE_ROOT = str(pathlib.Path(nnkern.__file__).resolve().parent.parent)  # the nnkern under test
SANDY_BRIDGE_LACKS = {"avx2", "fma", "bmi", "bmi2", "f16c", "lzcnt", "movbe", "avx512f"}


def test_this_cpu_runs_the_kernels():
    assert _cpu.missing_isa() == []
    assert set(_cpu.required_isa()) <= set(_cpu.known_isa())
    assert all(_cpu.cpu_supports(name) for name in _cpu.required_isa())
    assert not _cpu.cpu_supports("no-such-isa")
    # _cpu checks for the least capable kernel variant (test_isa_variants.py checks that its march is _cpu's).
    assert _cpu.march() == "x86-64-v3"


def run_under_qemu(cpu, code):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    return subprocess.run([QEMU, "-cpu", cpu, sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.skipif(QEMU is None, reason="qemu-x86_64 not installed (.ci/run installs qemu-user)")
def test_cpu_without_avx2_gets_import_error_not_sigill():
    result = run_under_qemu("SandyBridge", "import nnkern, numpy as np; nnkern._core.dense(np.ones((2, 3)), np.ones((3, 4)))")
    assert result.returncode != -signal.SIGILL, result.stderr
    missing = sorted(SANDY_BRIDGE_LACKS & set(_cpu.required_isa()), key=_cpu.known_isa().index)
    if not missing:  # a baseline build runs anywhere
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1, result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: nnkern: this CPU lacks the instruction set(s) " + ", ".join(missing))
    assert f"(-march={_cpu.march()})" in last_line


@pytest.mark.skipif(QEMU is None, reason="qemu-x86_64 not installed (.ci/run installs qemu-user)")
def test_cpu_with_avx2_imports_and_computes():
    if not set(_cpu.required_isa()) <= set(_cpu.known_isa()) - {"avx512f", "avx512bw", "avx512cd", "avx512dq",
                                                                 "avx512vl"}:
        pytest.skip("this build needs AVX-512, which qemu's Haswell model lacks")
    result = run_under_qemu("Haswell", "import nnkern, numpy as np; "
                                       "print(nnkern._core.dense(np.ones((2, 3)), np.ones((3, 4))).sum())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "24.0"
