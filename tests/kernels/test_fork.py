"""A process forked after multi-threaded kernel calls works: OpenMP's workers do not survive fork,
so such a child runs its kernels on one thread instead of waiting for them forever. Each case runs in
its own Python process with a timeout, so a hang fails the test instead of hanging the suite."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import nnkern

TIMEOUT = 120  # seconds; a working run takes about one (spawn: a few)

PRELUDE = """
import multiprocessing as mp
import os
import sys

import numpy as np
from nnkern import _core

X = np.ones((512, 1024), np.float32)
W = np.ones((1024, 1024), np.float32)


def work(scale):
    y = _core.dense(X * scale, W)  # ~1 GFLOP: every thread allowed
    return float(y[0, 0]), _core.last_call_threads(), _core.forked_single_threaded()


def threaded_parent():
    _core.set_num_threads(2)
    _core.set_load_aware(False)
    assert work(1) == (1024.0, 2, False)  # the parent's OpenMP workers now exist
"""


def run_script(tmp_path, body, *args):
    script = tmp_path / "script.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(pathlib.Path(nnkern.__file__).parent.parent)] + sys.path[1:]))
    try:
        done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child process hung (no result within {TIMEOUT} s)")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_os_fork_after_threaded_call(tmp_path):
    out = run_script(tmp_path, """
        threaded_parent()
        pid = os.fork()
        if pid == 0:
            value, used, single = work(2)
            os._exit(0 if (value, used, single) == (2048.0, 1, True) else 3)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), work(3)[:2])
    """)
    assert out == ["0", "(3072.0,", "2)"]  # the child worked on one thread; the parent still on two


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_pool_after_threaded_call(tmp_path, method):
    out = run_script(tmp_path, """
        if __name__ == "__main__":
            threaded_parent()
            with mp.get_context(sys.argv[1]).Pool(2) as pool:
                results = pool.map(work, [1, 2, 3, 4])
            assert [r[0] for r in results] == [1024.0, 2048.0, 3072.0, 4096.0], results
            # Forked workers inherit the parent's (dead) OpenMP pool and run on one thread; spawned
            # and forkserver workers are fresh processes with their own.
            print(all(r[1:] == (1, True) for r in results), all(not r[2] for r in results))
    """, method)
    assert out == (["True", "False"] if method == "fork" else ["False", "True"])


def test_fork_before_any_threaded_call_keeps_threads(tmp_path):
    out = run_script(tmp_path, """
        _core.set_num_threads(2)
        _core.set_load_aware(False)
        _core.dense(X[:2, :8], W[:8, :8])  # a one-thread call: no OpenMP workers yet
        pid = os.fork()
        if pid == 0:
            os._exit(0 if work(1) == (1024.0, 2, False) else 3)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """)
    assert out == ["0"]


@pytest.mark.parametrize("threaded_kernels_first", [False, True])
def test_fork_after_concurrent_bidirectional(tmp_path, threaded_kernels_first):
    # Bidirectional ran its directions on nnkern's worker thread (kernels on one thread each: no OpenMP
    # workers yet), then the process forks. The child has the worker's Python object but not its thread; it
    # must make a new one (or, forked after threaded kernel calls, run the directions one after the other).
    out = run_script(tmp_path, """
        from nnkern import _config, layers

        calls = []
        real = _config.run_pair
        _config.run_pair = lambda first, second: calls.append(1) or real(first, second)
        _core.set_num_threads(2)
        _core.set_load_aware(False)
        if sys.argv[1] == "True":
            threaded_parent()
        layer = layers.Bidirectional(layers.LSTM(64, return_sequences=True))
        x = np.random.default_rng(0).uniform(-1, 1, (4, 60, 32)).astype(np.float32)
        expected = layer(x)
        assert calls == [1] and _core.forked_single_threaded() is False
        pid = os.fork()
        if pid == 0:
            del calls[:]
            same = all(np.array_equal(layer(x), expected) for _ in range(3))
            concurrent = calls == [1, 1, 1]
            os._exit(0 if same and concurrent != _core.forked_single_threaded() else 3)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), np.array_equal(layer(x), expected), len(calls))
    """, str(threaded_kernels_first))
    assert out == ["0", "True", "2"]
