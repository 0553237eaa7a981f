"""Kernel variants (issue 11): nnkern._core holds the kernels built for x86-64-v3 (avx2) and
x86-64-v4 (avx512) and runs the most capable one the CPU supports; NNKERN_ISA=<name> picks one, and
an unknown name or one the CPU cannot run raises ImportError (no silent fallback: a benchmark must
measure what it asked for). Every variant the CPU runs passes the kernel tests against the numpy
references, bitwise reproducible over 1/2/3 threads included."""
import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

import nnkern
from _kernel_checks import show_config_text
from nnkern import _core, _cpu

QEMU = shutil.which("qemu-x86_64")
PACKAGE_ROOT = str(pathlib.Path(nnkern.__file__).resolve().parent.parent)  # the nnkern under test
TESTS = pathlib.Path(__file__).resolve().parent
AVX512 = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
# Kernel tests against the numpy references (and across thread counts), run again per variant.
KERNEL_TESTS = ["test_activation.py", "test_dense.py", "test_dense_gemv.py", "test_conv2d.py",
                "test_conv2d_transpose.py", "test_direct_conv.py", "test_depthwise_conv2d.py", "test_pooling.py",
                "test_lstm.py", "test_reproducible_threads.py"]


def run_python(code, isa=None, qemu_cpu=None):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    env.pop("NNKERN_ISA", None)
    if isa is not None:
        env["NNKERN_ISA"] = isa
    prefix = [QEMU, "-cpu", qemu_cpu] if qemu_cpu else []
    return subprocess.run(prefix + [sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=600)


def test_the_most_capable_runnable_variant_is_in_use():
    assert _core.isa_variants()[:2] == ["avx2", "avx512"]
    runnable = _core.runnable_isa_variants()
    assert runnable == [v for v in _core.isa_variants() if v in runnable]
    assert runnable == ["avx2", "avx512"] if AVX512 <= {n for n in _cpu.known_isa() if _cpu.cpu_supports(n)} \
        else runnable == ["avx2"]
    expected = os.environ.get("NNKERN_ISA") or runnable[-1]
    assert _core.isa() == expected
    assert _core.build_info()["isa"] == _core.isa()


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_each_variant_is_what_it_says(isa):
    if isa not in _core.runnable_isa_variants():
        pytest.skip(f"this CPU cannot run {isa}")
    result = run_python("import nnkern; from nnkern import _core; i = _core.build_info(); "
                        "print(_core.isa(), i['isa'], i['march'], i['packet_floats'])", isa=isa)
    assert result.returncode == 0, result.stderr
    march, floats = {"avx2": ("x86-64-v3", 8), "avx512": ("x86-64-v4", 16)}[isa]
    assert result.stdout.split() == [isa, isa, march, str(floats)]
    if isa == _core.isa_variants()[0]:
        assert march == _cpu.march()  # the import check of nnkern._cpu is for the least capable variant


def test_show_config_names_the_variant():
    text = show_config_text()
    assert f"isa: {_core.isa()} (NNKERN_ISA=" in text
    assert f"kernel variants: {', '.join(_core.isa_variants())}" in text
    assert f"({_core.build_info()['packet_floats']} floats per packet)" in text


def test_unknown_isa_raises_import_error():
    result = run_python("import nnkern", isa="avx9000")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: nnkern: NNKERN_ISA='avx9000' is not a kernel variant of this build; expected one of "
        f"{', '.join(_core.isa_variants())} or auto (or unset NNKERN_ISA)")


@pytest.mark.parametrize("value", ["", "auto"])
def test_empty_or_auto_isa_chooses(value):
    result = run_python("import nnkern; print(nnkern._core.isa())", isa=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == _core.runnable_isa_variants()[-1]


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_each_variant_passes_the_kernel_tests(isa):
    if isa not in _core.runnable_isa_variants():
        pytest.skip(f"this CPU cannot run {isa}")
    if isa == _core.isa():
        pytest.skip(f"{isa} is in use in this run: the suite itself tests it")
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, NNKERN_ISA=isa)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                             *[str(TESTS / name) for name in KERNEL_TESTS]],
                            cwd=TESTS.parent.parent, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(QEMU is None, reason="qemu-x86_64 not installed (.ci/run installs qemu-user)")
def test_avx2_cpu_runs_the_avx2_variant():
    result = run_python("import nnkern, numpy as np; print(nnkern._core.isa()); "
                        "print(nnkern._core.dense(np.ones((20, 30)), np.ones((30, 40))).sum()); "
                        "print(nnkern._core.conv2d(np.ones((1, 9, 9, 8)), np.ones((3, 3, 8, 16))).sum()); "
                        "nnkern.show_config()", qemu_cpu="Haswell")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["avx2", "24000.0", str(49.0 * 72 * 16)]
    assert "  isa: avx2 (NNKERN_ISA=auto)" in lines


@pytest.mark.skipif(QEMU is None, reason="qemu-x86_64 not installed (.ci/run installs qemu-user)")
def test_avx512_on_an_avx2_cpu_raises_import_error_not_sigill():
    result = run_python("import nnkern", isa="avx512", qemu_cpu="Haswell")
    assert result.returncode != -signal.SIGILL, result.stderr
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: nnkern: NNKERN_ISA=avx512 needs the instruction set(s) avx512f, avx512bw, avx512cd, avx512dq, "
        "avx512vl, which this CPU lacks; variants it runs: avx2 (or unset NNKERN_ISA)")
