import pytest

from nnkern import _core


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
