"""The `nnkern` command line end to end: `python -m nnkern ...` in a subprocess, outputs checked against
Keras goldens and the bundled demo's recorded Keras accuracy; errors are one line on stderr, non-zero exit."""
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from _golden_io import DATA_DIR, load_cases

import nnkern

# The subprocess must import the nnkern this test run imports (an install, or python/ with an in-place
# build), not whatever python/ holds.
NNKERN_PARENT = pathlib.Path(nnkern.__file__).resolve().parents[1]
CASES = {case["id"]: (case, arrays) for case, arrays in load_cases("saving")}


def run(*args, cwd=None, timeout=120, memory_limit=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(NNKERN_PARENT), os.environ.get("PYTHONPATH", "")]))
    env.pop("NNKERN_DEBUG", None)
    if memory_limit:
        env["OMP_NUM_THREADS"] = "1"  # no thread stacks counted against the limit

    def limit_memory():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    return subprocess.run([sys.executable, "-m", "nnkern", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout, preexec_fn=limit_memory if memory_limit else None)


def model_file(name):
    return DATA_DIR / CASES[name][0]["files"]["keras"]


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("command", [[], ["summary"], ["predict"], ["bench"], ["demo"]])
def test_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: nnkern")
    for word in {(): ["summary", "predict", "bench", "demo"], ("predict",): ["--batch-size", "-o"],
                 ("bench",): ["--threads", "--batch-size"]}.get(tuple(command), []):
        assert word in result.stdout


def test_summary():
    result = run("summary", model_file("nested_shared"))
    assert result.returncode == 0, result.stderr
    assert 'Model: "functional' in result.stdout
    for layer in ["left (InputLayer)", "shared (Dense)", "inner_seq", "(Sequential)", "(Functional)",
                  "Total params: 95"]:
        assert layer in result.stdout


def test_predict_npy(tmp_path):
    case, arrays = CASES["conv2d_pool"]
    np.save(tmp_path / "x.npy", arrays["x0"])
    result = run("predict", model_file("conv2d_pool"), tmp_path / "x.npy", "-o", tmp_path / "y.npy",
                 "--batch-size", "1")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), arrays["y0"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("by", ["name", "order"])
def test_predict_npz_multi_input_output(tmp_path, by):
    case, arrays = CASES["merges_multi_io"]
    if by == "name":  # stored in the opposite order: matching must go by name
        np.savez(tmp_path / "x.npz", b=arrays["x1"], a=arrays["x0"])
    else:
        np.savez(tmp_path / "x.npz", first=arrays["x0"], second=arrays["x1"])
    result = run("predict", model_file("merges_multi_io"), tmp_path / "x.npz", "-o", tmp_path / "y.npz")
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "y.npz") as out:
        assert list(out.files) == ["head", "dot"]
        np.testing.assert_allclose(out["head"], arrays["y0"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(out["dot"], arrays["y1"], rtol=1e-4, atol=1e-6)


def test_predict_prints_without_output_file(tmp_path):
    case, arrays = CASES["dense_sequential"]
    np.save(tmp_path / "x.npy", arrays["x0"])
    result = run("predict", model_file("dense_sequential"), tmp_path / "x.npy")
    assert result.returncode == 0, result.stderr
    assert "shape (3, 4)" in result.stdout


def test_predict_errors(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((2, 7), np.float32))
    np.savez(tmp_path / "three.npz", a=np.zeros((2, 4)), b=np.zeros((2, 4)), c=np.zeros((2, 4)))
    assert_one_line_error(run("predict", model_file("dense_sequential"), tmp_path / "bad.npy"),
                          "input 'input_layer' has shape (2, 7)", "(None, 6)")
    assert_one_line_error(run("predict", model_file("merges_multi_io"), tmp_path / "three.npz"),
                          "holds arrays ['a', 'b', 'c']", "['a', 'b']")
    assert_one_line_error(run("predict", model_file("merges_multi_io"), tmp_path / "bad.npy"),
                          "the model has 2 inputs")
    assert_one_line_error(run("predict", tmp_path / "missing.keras", tmp_path / "bad.npy"), "does not exist")
    (tmp_path / "junk.keras").write_bytes(b"junk")
    assert_one_line_error(run("summary", tmp_path / "junk.keras"), "nnkern summary: error:",
                          "neither a Keras 3 `.keras` zip archive nor an HDF5")
    assert_one_line_error(run("summary", DATA_DIR / "saving" / "lambda_layer.keras"), "safe_mode=False")
    result = run("predict", model_file("dense_sequential"))
    assert result.returncode == 2
    assert_one_line_error(result, "required: INPUT")
    assert_one_line_error(run("frobnicate"), "invalid choice")


def test_output_goes_to_exactly_the_path_given(tmp_path):
    case, arrays = CASES["dense_sequential"]
    np.save(tmp_path / "x.npy", arrays["x0"])
    result = run("predict", model_file("dense_sequential"), tmp_path / "x.npy", "-o", tmp_path / "y.txt")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy", "y.txt"]  # not y.txt.npy
    np.testing.assert_allclose(np.load(tmp_path / "y.txt"), arrays["y0"], rtol=1e-4, atol=1e-6)
    (tmp_path / "out").mkdir()
    assert_one_line_error(run("predict", model_file("dense_sequential"), tmp_path / "x.npy", "-o",
                              tmp_path / "out"), "nnkern predict: error:", "directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "x.npy", "y.txt"]  # no out.npy
    assert not any((tmp_path / "out").iterdir())


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    case, arrays = CASES["dense_sequential"]
    np.save(tmp_path / "x.npy", arrays["x0"])
    # Without the check each of these blocks on the FIFO or reads /dev/zero until memory runs out (hence
    # the child's 2 GiB address-space limit).
    for args in [("summary", fifo), ("predict", model_file("dense_sequential"), fifo),
                 ("summary", "/dev/zero"), ("predict", model_file("dense_sequential"), "/dev/zero")]:
        if os.path.exists(args[-1]):
            assert_one_line_error(run(*args, timeout=30, memory_limit=2 << 30), "not a regular file")


def test_unsafe_flag_allows_lambda_bytecode(tmp_path):
    case, arrays = CASES["lambda_layer"]
    np.save(tmp_path / "x.npy", arrays["x0"])
    result = run("predict", model_file("lambda_layer"), tmp_path / "x.npy", "-o", tmp_path / "y.npy", "--unsafe")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), arrays["y0"], rtol=1e-5, atol=1e-6)


def test_bench():
    result = run("bench", model_file("lstm_encoder_decoder"), "--batch-size", "4", "--threads", "1",
                 "--runs", "5", "--min-seconds", "0")
    assert result.returncode == 0, result.stderr
    assert "inputs (4, 6, 3), (4, 4, 2), batch size 4, threads 1" in result.stdout
    match = re.search(r"p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms", result.stdout)
    assert match and float(match[1]) <= float(match[2]) <= float(match[3])
    assert re.search(r"throughput: [\d.]+ samples/s", result.stdout)
    assert_one_line_error(run("bench", model_file("lstm_stack"), "--threads", "0"), "positive integer")


def test_demo_reproduces_keras_accuracy():
    meta = json.loads((NNKERN_PARENT / "nnkern" / "data" / "digits_meta.json").read_text())
    result = run("demo", "--runs", "5")
    assert result.returncode == 0, result.stderr
    assert f"accuracy (nnkern): {meta['keras_accuracy']:.4f} (352/360)" in result.stdout
    assert "accuracy (nnkern): 0.9778" in result.stdout  # the stated number
    assert "predictions identical to Keras's: 360/360" in result.stdout
    assert re.search(r"batch 1: [\d.]+ us, batch 256: [\d.]+ us", result.stdout)
    assert 'Model: "digits_cnn"' in result.stdout and "pred 7 / true 7" in result.stdout
