"""The call context (training flag) and the name-scope stack are per thread: a layer call in progress in
one thread does not reach layers called or built in another."""
import threading

import numpy as np

import nnkern as keras
from nnkern import layers

TIMEOUT = 30


def run_while_inside(blocking_layer, inside, other_thread_done, work_in_main_thread):
    """Run `blocking_layer`'s work in a thread, wait until it is inside (it sets `inside` and then waits
    for `other_thread_done`), run `work_in_main_thread`, then let the thread finish."""
    errors = []

    def target():
        try:
            blocking_layer()
        except BaseException as e:  # noqa: BLE001 -- reported below
            errors.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    try:
        assert inside.wait(TIMEOUT), "the other thread never entered the layer"
        return work_in_main_thread()
    finally:
        other_thread_done.set()
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert not errors, errors


def test_training_call_in_one_thread_does_not_reach_dropout_in_another():
    inside, done = threading.Event(), threading.Event()

    def wait_inside(x):
        inside.set()
        assert done.wait(TIMEOUT)
        return x

    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, layers.Dropout(0.5)(layers.Lambda(wait_inside, output_shape=(4,))(inp)))
    x = np.ones((2, 4), np.float32)
    dropout = layers.Dropout(0.5)
    big = np.ones((8, 64), np.float32)

    def plain_calls():
        return sum(not np.array_equal(dropout(big), big) for _ in range(500))

    changed = run_while_inside(lambda: model(x, training=True), inside, done, plain_calls)
    assert changed == 0, f"{changed} of 500 plain Dropout calls applied dropout"
    # The flag still reaches the Dropout inside the model (`done` is set: the Lambda no longer waits).
    y = model(np.ones((64, 4), np.float32), training=True)
    assert set(np.unique(y)) == {0.0, 2.0}


def test_name_scope_of_a_build_in_one_thread_does_not_reach_weights_made_in_another():
    inside, done = threading.Event(), threading.Event()

    class SlowBuild(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(1,), name="w")
            inside.set()
            assert done.wait(TIMEOUT)

        def call(self, x):
            return x

    slow = SlowBuild(name="slow")
    dense = layers.Dense(2, name="plain_dense")

    def build_dense():
        dense.build((None, 3))
        return [v.path for v in dense.weights]

    paths = run_while_inside(lambda: slow.build((None, 3)), inside, done, build_dense)
    assert paths == ["plain_dense/kernel", "plain_dense/bias"]
    assert slow.w.path == "slow/w"
