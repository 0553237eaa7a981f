import numpy as np
import pytest

from nnkern import _core

THREAD_COUNTS = (1, 2, 3)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    """Runs a test at 1 and at 2 threads, with load awareness off so that the threaded paths run even
    while other processes keep the cores busy."""
    before, aware = _core.get_num_threads(), _core.load_aware()
    _core.set_num_threads(request.param)
    _core.set_load_aware(False)
    yield request.param
    _core.set_num_threads(before)
    _core.set_load_aware(aware)


@pytest.fixture
def on_threads():
    """run(fn, threaded=True): calls fn() at 1, 2 and 3 threads (load awareness off) and returns the
    one-thread result, after checking that the results are bitwise identical and that, when
    `threaded`, the calls at 2 and 3 threads really ran on more than one (_core.last_call_threads)."""
    before, aware = _core.get_num_threads(), _core.load_aware()
    _core.set_load_aware(False)

    def run(fn, threaded=True):
        results, used = [], []
        for n in THREAD_COUNTS:
            _core.set_num_threads(n)
            out = fn()
            used.append(_core.last_call_threads())
            results.append(out if isinstance(out, tuple) else (out,))
        assert used[0] == 1
        if threaded:
            assert used[1] == 2 and 2 <= used[2] <= 3, f"threads used at {THREAD_COUNTS}: {used}"
        else:
            assert used == [1, 1, 1], f"threads used at {THREAD_COUNTS}: {used}"
        for n, other in zip(THREAD_COUNTS[1:], results[1:]):
            for a, b in zip(results[0], other):
                assert np.array_equal(a, b), f"{n} threads differ from 1 by up to {np.max(np.abs(a - b))}"
        one = results[0]
        return one if len(one) > 1 else one[0]

    yield run
    _core.set_num_threads(before)
    _core.set_load_aware(aware)
