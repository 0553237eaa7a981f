"""Thread settings: the thread count and load awareness (leaving out cores that other processes
keep busy) change only the speed, never the results."""
import numpy as np
import pytest

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
