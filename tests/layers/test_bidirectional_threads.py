"""Bidirectional's two directions on two threads (nnkern._config.run_pair, each direction's kernels on one
thread) give bitwise the outputs of the serial path (one thread): LSTM, GRU and SimpleRNN, every merge mode,
return_sequences, return_state, go_backwards, masks, initial states, Bidirectional layers in Sequential and
functional models. An exception in the worker thread reaches the caller; the thread limit is per thread."""
import threading

import numpy as np
import pytest

from nnkern import _config, _core, layers, set_num_threads
from nnkern.layers import bidirectional as bidirectional_module
from nnkern.models import Model, Sequential

RNG = np.random.default_rng(31)
RECURRENT = {"LSTM": layers.LSTM, "GRU": layers.GRU, "SimpleRNN": layers.SimpleRNN}
MERGE_MODES = ["concat", "sum", "mul", "ave", None]
# (batch, steps, features, units), each above MIN_CONCURRENT_FLOPS per direction for every cell type.
SHAPES = [(1, 200, 64, 96), (8, 60, 32, 64), (5, 37, 24, 96)]


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


@pytest.fixture
def pair_calls(monkeypatch):
    """The calls that went through run_pair (monkeypatched to count them), with 2 threads and load
    awareness off (another process's load must not turn the threaded path off); settings restored after."""
    before, aware = _core.get_num_threads(), _core.load_aware()
    calls = []
    real = _config.run_pair

    def counting(first, second):
        calls.append(threading.get_ident())
        return real(first, second)

    monkeypatch.setattr(_config, "run_pair", counting)
    _core.set_load_aware(False)
    yield calls
    _core.set_num_threads(before)
    _core.set_load_aware(aware)


def on_threads(fn, calls, expect_pairs):
    """fn()'s outputs (a list of arrays) on 1 thread, then on 2; asserts they are bitwise equal, that the
    2-thread call ran `expect_pairs` Bidirectional layers concurrently and the 1-thread call none."""
    set_num_threads(1)
    serial = [np.array(y) for y in _as_list(fn())]
    assert calls == []
    set_num_threads(2)
    threaded = [np.array(y) for y in _as_list(fn())]
    assert len(calls) == expect_pairs
    assert len(serial) == len(threaded)
    for a, b in zip(serial, threaded):
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
        assert np.array_equal(a, b), f"max abs diff {np.max(np.abs(a - b))}"
    return serial


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def wrapped(kind, units, **kwargs):
    return RECURRENT[kind](units, **kwargs)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_merge_modes_bitwise(pair_calls, kind, return_sequences, merge_mode, shape):
    batch, steps, features, units = shape
    layer = layers.Bidirectional(wrapped(kind, units, return_sequences=return_sequences), merge_mode=merge_mode)
    x = rand(batch, steps, features)
    on_threads(lambda: layer(x), pair_calls, 1)


@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_return_state_and_go_backwards_bitwise(pair_calls, kind, return_sequences, merge_mode):
    batch, steps, features, units = SHAPES[1]
    layer = layers.Bidirectional(wrapped(kind, units, return_sequences=return_sequences, return_state=True,
                                         go_backwards=True), merge_mode=merge_mode)
    x = rand(batch, steps, features)
    outputs = on_threads(lambda: layer(x), pair_calls, 1)
    states = 2 if kind == "LSTM" else 1
    assert len(outputs) == (2 if merge_mode is None else 1) + 2 * states


@pytest.mark.parametrize("merge_mode", ["concat", "ave", None])
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_mask_and_initial_state_bitwise(pair_calls, kind, merge_mode):
    batch, steps, features, units = SHAPES[2]
    layer = layers.Bidirectional(wrapped(kind, units, return_sequences=True, return_state=True),
                                 merge_mode=merge_mode)
    x = rand(batch, steps, features)
    mask = RNG.uniform(size=(batch, steps)) > 0.3
    mask[0, 20:] = False  # a sample padded at its end, as Embedding(mask_zero=True) gives
    states = [rand(batch, units) for _ in range(4 if kind == "LSTM" else 2)]
    outputs = on_threads(lambda: layer(x, mask=mask, initial_state=states), pair_calls, 1)
    y = outputs[0]
    # The masked steps are zero in the merged sequence (zero_output_for_mask): the mask was applied.
    assert not np.any(y[0, 20:]) and np.any(y[0, :20])


@pytest.mark.parametrize("kind", list(RECURRENT))
def test_models_with_two_bidirectional_layers_bitwise(pair_calls, kind):
    # The M4 architecture (keras-io's IMDB BiLSTM, smaller), functional with a mask from the embedding, and
    # as a Sequential model without one.
    inputs = layers.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(500, 32, mask_zero=True)(inputs)
    x = layers.Bidirectional(wrapped(kind, 48, return_sequences=True))(x)
    x = layers.Bidirectional(wrapped(kind, 48), merge_mode="sum")(x)
    functional = Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    tokens = RNG.integers(1, 500, size=(6, 90)).astype(np.int32)
    tokens[2, 60:] = 0
    on_threads(lambda: functional.predict(tokens, verbose=0), pair_calls, 2)

    del pair_calls[:]
    sequential = Sequential([layers.Input(shape=(80, 40)),
                             layers.Bidirectional(wrapped(kind, 64, return_sequences=True)),
                             layers.Bidirectional(wrapped(kind, 48), merge_mode="mul"), layers.Dense(3)])
    x = rand(4, 80, 40)
    on_threads(lambda: sequential.predict(x, verbose=0), pair_calls, 2)


def test_small_work_and_python_cells_stay_serial(pair_calls):
    set_num_threads(2)
    small = layers.Bidirectional(layers.LSTM(4))
    small(rand(2, 3, 5))
    assert not small._directions_concurrently(rand(2, 3, 5))
    # A cell without a compiled kernel runs step by step in Python (holding the GIL): no gain from a thread.
    python_cell = layers.Bidirectional(layers.LSTM(64))
    x = rand(8, 50, 32)
    python_cell(x)
    assert python_cell._directions_concurrently(x)
    for sublayer in (python_cell.forward_layer, python_cell.backward_layer):
        sublayer.cell.activation = lambda v: np.tanh(v)  # a user callable: no compiled kernel
    del pair_calls[:]
    python_cell(x)
    assert not python_cell._directions_concurrently(x)
    assert pair_calls == []


def test_exception_in_the_worker_thread_reaches_the_caller(pair_calls):
    set_num_threads(2)
    layer = layers.Bidirectional(layers.LSTM(64, return_sequences=True))
    x = rand(4, 60, 32)
    layer(x)
    assert len(pair_calls) == 1
    ran_on = {}

    def failing_backward(*args, **kwargs):
        ran_on["backward"] = threading.get_ident()
        raise RuntimeError(f"backward failed with thread limit {_core.get_thread_limit()}")

    layer.backward_layer.call = failing_backward
    with pytest.raises(RuntimeError, match="backward failed with thread limit 1"):
        layer(x)
    assert ran_on["backward"] != threading.get_ident()  # it really ran on the worker
    # Both fail: the caller's (forward) exception is raised, after the worker's call has finished.
    def failing_forward(*args, **kwargs):
        raise ValueError("forward failed")

    layer.forward_layer.call = failing_forward
    with pytest.raises(ValueError, match="forward failed"):
        layer(x)
    del layer.backward_layer.call, layer.forward_layer.call
    assert np.array_equal(layer(x), layer(x))  # the worker still serves later calls


def test_run_pair_gives_each_call_one_thread_and_restores_the_limit():
    before = _core.get_num_threads()
    try:
        set_num_threads(2)

        def seen():
            return threading.get_ident(), _core.get_thread_limit()

        (first_thread, first_limit), (second_thread, second_limit) = _config.run_pair(seen, seen)
        assert first_thread == threading.get_ident() != second_thread
        assert first_limit == second_limit == 1
        assert _core.get_thread_limit() == 0
        with _config.thread_limit(3):
            set_num_threads(8)  # a limit of 3 shares as 1 + 1, not 4 + 4
            assert [limit for _, limit in _config.run_pair(seen, seen)] == [1, 1]
            assert _core.get_thread_limit() == 3
    finally:
        set_num_threads(before)


def test_run_pair_nested_in_the_worker_runs_serially():
    def nested():
        return _config.run_pair(lambda: threading.get_ident(), lambda: threading.get_ident())

    (a, b), (c, d) = _config.run_pair(nested, nested)
    assert a != b  # from the caller: the second call on the worker
    assert c == d != threading.get_ident()  # from the worker: both there, one after the other


def test_thread_limit_caps_this_thread_only():
    before, aware = _core.get_num_threads(), _core.load_aware()
    x, w = rand(300, 700), rand(700, 500)
    try:
        set_num_threads(2)
        _core.set_load_aware(False)
        expected = _core.dense(x, w)
        assert _core.last_call_threads() == 2
        other = []
        with _config.thread_limit(1):
            assert np.array_equal(_core.dense(x, w), expected) and _core.last_call_threads() == 1
            assert _core.threads_for_work(1e9) == 1
            worker = threading.Thread(target=lambda: other.append((_core.threads_for_work(1e9),
                                                                   _core.get_thread_limit())))
            worker.start()
            worker.join()
            with _config.thread_limit(0):
                assert _core.threads_for_work(1e9) == 2
            assert _core.get_thread_limit() == 1
        assert other == [(2, 0)]
        assert _core.get_thread_limit() == 0 and _core.threads_for_work(1e9) == 2
    finally:
        set_num_threads(before)
        _core.set_load_aware(aware)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_thread_limit_refuses_bad_values(bad, error):
    with pytest.raises(error, match="thread_limit"):
        with _config.thread_limit(bad):
            pass
    with pytest.raises(ValueError, match="thread limit must be >= 0"):
        _core.set_thread_limit(-2)
    assert _core.get_thread_limit() == 0


def test_min_concurrent_flops_is_the_threshold(pair_calls, monkeypatch):
    set_num_threads(2)
    layer = layers.Bidirectional(layers.GRU(32))
    x = rand(8, 60, 16)
    layer(x)
    flops = 2.0 * 8 * 60 * sum(int(np.prod(w.shape)) for w in layer.forward_layer.weights)
    monkeypatch.setattr(bidirectional_module, "MIN_CONCURRENT_FLOPS", flops)
    assert layer._directions_concurrently(x)
    monkeypatch.setattr(bidirectional_module, "MIN_CONCURRENT_FLOPS", flops * 1.01)
    assert not layer._directions_concurrently(x)
