"""Smoke run of bench/compare.py: W1 against numpy only, few repeats (the real benchmark is not a test)."""
import os
import pathlib
import subprocess
import sys

import pytest

COMPARE = pathlib.Path(__file__).resolve().parents[2] / "bench" / "compare.py"


@pytest.mark.skipif(not COMPARE.exists(), reason="bench/compare.py not in this tree")
def test_quick_w1_numpy(tmp_path):
    # A shell pinning OpenBLAS to Haswell's kernel: the main run drops the pin, an extra run keeps it, labelled.
    env = {**os.environ, "OPENBLAS_CORETYPE": "Haswell"}
    res = subprocess.run([sys.executable, str(COMPARE), "--quick", "--workloads", "W1", "--peers", "numpy",
                          "--threads", "1", "--skip-startup", "--models", "none", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    report = (tmp_path / "RESULTS.md").read_text()
    section = report.split("## 1 thread")[1].split("\n#")[0]  # up to the next heading
    timing_table = next(block for block in section.split("\n\n") if block.startswith("| case"))
    rows = {line.split(" | ")[0].strip("| "): line for line in timing_table.splitlines() if line.startswith("| W1/")}
    assert set(rows) == {"W1/b1", "W1/b256"}
    for row in rows.values():
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2].endswith("s") and cells[4].endswith("s")  # nnkern and numpy timed (not MISMATCH / n/a)
        assert cells[5] == "numpy" and float(cells[6]) >= 0  # a ratio (0.00 when a noisy numpy call ran long)
    assert "Python overhead, W1 batch 1" in report
    assert "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset." in report.split("- numpy's BLAS: ")[1].splitlines()[0]
    inherited = report.split("## numpy with the inherited OpenBLAS setting")[1]
    assert "OPENBLAS_CORETYPE=Haswell (inherited)" in inherited
    assert {line.split(" | ")[1] for line in inherited.splitlines() if line.startswith("| 1 | ")} == {"W1/b1", "W1/b256"}
    if pathlib.Path("/proc/cpuinfo").exists():  # the CPU as the kernel reports it, not a name assumed
        assert "CPU family " in report.split("- Machine: ")[1].splitlines()[0]
    assert "predict within 2 µs of the bare kernel" in res.stdout
