"""Thread settings: the thread count (set, or from NNKERN_NUM_THREADS / OMP_NUM_THREADS) and load
awareness (leaving out cores that other processes keep busy; off unless asked for) change only the
speed, never the results."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import nnkern

from _kernel_checks import show_config_text
from nnkern import _core
from numpy_ref.dense import dense as dense_ref


def test_load_awareness_can_be_switched():
    saved = _core.load_aware()
    try:
        _core.set_load_aware(False)
        assert _core.load_aware() is False
        _core.set_load_aware(True)
        assert _core.load_aware() is True
    finally:
        _core.set_load_aware(saved)


@pytest.mark.parametrize("aware", [False, True])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_results_do_not_depend_on_thread_settings(aware, n_threads):
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, (64, 300)).astype(np.float32)
    w = rng.uniform(-1, 1, (300, 200)).astype(np.float32)  # 7.7 MFLOP: two threads when allowed
    b = rng.uniform(-1, 1, 200).astype(np.float32)
    saved = _core.get_num_threads(), _core.load_aware()
    try:
        _core.set_num_threads(n_threads)
        _core.set_load_aware(aware)
        y = _core.dense(x, w, b, "relu")
    finally:
        _core.set_num_threads(saved[0])
        _core.set_load_aware(saved[1])
    np.testing.assert_allclose(y, dense_ref(x, w, b, "relu"), rtol=2e-4, atol=1e-4)


def test_thread_choice_by_work_size():
    saved = _core.get_num_threads(), _core.load_aware()
    try:
        _core.set_num_threads(2)
        _core.set_load_aware(False)
        assert _core.threads_for_work(1e5) == 1  # too little work to wake a second thread
        assert _core.threads_for_work(1e9) == 2
        _core.set_num_threads(1)
        assert _core.threads_for_work(1e9) == 1
    finally:
        _core.set_num_threads(saved[0])
        _core.set_load_aware(saved[1])


def test_busy_threads_of_this_process_count_as_load():
    # Another runtime's pool in this process (here: a thread in a numpy matmul loop, GIL released) takes
    # a core as another process would; only nnkern's own OpenMP workers are discounted.
    import threading
    import time

    a = np.ones((400, 400), np.float32)
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            a @ a

    saved = _core.get_num_threads(), _core.load_aware()
    worker = threading.Thread(target=busy, daemon=True)
    try:
        _core.set_num_threads(2)
        _core.set_load_aware(True)
        _core.dense(np.ones((256, 512), np.float32), np.ones((512, 512), np.float32))  # starts our own team
        worker.start()
        time.sleep(0.12)  # past the 50 ms between two looks at the load
        assert _core.threads_for_work(1e9) == 1
    finally:
        stop.set()
        worker.join()
        _core.set_num_threads(saved[0])
        _core.set_load_aware(saved[1])


THREAD_ENV = ("NNKERN_NUM_THREADS", "OMP_NUM_THREADS", "NNKERN_LOAD_AWARE")


def fresh_process(code, **env):
    """Runs `code` in a new Python process whose environment has only the given thread variables."""
    environ = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    environ.update(env, PYTHONPATH=os.pathsep.join([str(pathlib.Path(nnkern.__file__).parent.parent)] + sys.path[1:]))
    done = subprocess.run([sys.executable, "-c", "from nnkern import _core\n" + code], capture_output=True,
                          text=True, env=environ, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_default_is_every_core_and_load_awareness_off():
    # The cores this process may run on (CPU affinity), as OpenMP counts them.
    assert fresh_process("print(_core.get_num_threads(), _core.load_aware())") == \
        f"{len(os.sched_getaffinity(0))} False"


@pytest.mark.parametrize("env,expected", [
    (dict(NNKERN_NUM_THREADS="3"), "3"),
    (dict(OMP_NUM_THREADS="5"), "5"),
    (dict(OMP_NUM_THREADS="4,2"), "4"),                            # nested levels: the first is ours
    (dict(NNKERN_NUM_THREADS="2", OMP_NUM_THREADS="7"), "2"),      # NNKERN_ first
    (dict(NNKERN_NUM_THREADS="zero", OMP_NUM_THREADS="6"), "6"),   # not a positive integer: ignored
    (dict(NNKERN_NUM_THREADS="0", OMP_NUM_THREADS="-1"), str(len(os.sched_getaffinity(0)))),
])
def test_thread_count_from_the_environment(env, expected):
    assert fresh_process("print(_core.get_num_threads())", **env) == expected


def test_environment_thread_count_is_used_by_kernels():
    code = ("import numpy as np; _core.dense(np.ones((256, 512), np.float32), np.ones((512, 512), np.float32));"
            "print(_core.last_call_threads())")
    assert fresh_process(code, NNKERN_NUM_THREADS="2") == "2"
    assert fresh_process(code, OMP_NUM_THREADS="1") == "1"


def test_set_num_threads_overrides_the_environment():
    assert fresh_process("_core.set_num_threads(2); print(_core.get_num_threads())", NNKERN_NUM_THREADS="3") == "2"


@pytest.mark.parametrize("value,expected", [("1", "True"), ("true", "True"), ("0", "False"), ("", "False")])
def test_load_awareness_from_the_environment(value, expected):
    assert fresh_process("print(_core.load_aware())", NNKERN_LOAD_AWARE=value) == expected


def test_show_config_reports_threads_and_load_awareness():
    text = show_config_text()
    assert f"threads: {_core.get_num_threads()}" in text
    assert f"load aware: {_core.load_aware()}" in text
