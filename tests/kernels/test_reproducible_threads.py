"""Every kernel gives bitwise identical results on 1, 2 and 3 threads (the work is split into tasks
fixed by the shape, each computed the same way by whichever thread runs it), and the threaded calls
really ran threaded (_core.last_call_threads). One call's thread count never changes another's."""
import threading

import numpy as np
import pytest

from nnkern import _core
from numpy_ref.dense import dense as dense_ref

RNG = np.random.default_rng(12)


def uniform(*shape, scale=1.0):
    return (RNG.uniform(-scale, scale, shape)).astype(np.float32)


# Each case is big enough (> 4 MFLOP, or enough bytes for pooling) for 2 and 3 threads.
X_DENSE, W_DENSE, B_DENSE = uniform(300, 700), uniform(700, 500), uniform(500)
X_GEMV, W_GEMV = uniform(3, 1023), uniform(1023, 1001)
X_CONV, W_CONV = uniform(2, 33, 31, 96), uniform(3, 3, 96, 72)
X_DEEP, W_DEEP = uniform(1, 4, 4, 256), uniform(3, 3, 256, 512)
X_DIRECT, W_DIRECT = uniform(2, 30, 29, 16), uniform(3, 3, 16, 32)
X_POINT, W_POINT, R_POINT = uniform(4, 20, 20, 128), uniform(1, 1, 128, 96), uniform(4, 20, 20, 96)
R_DIRECT = uniform(2, 30, 29, 32)
X_TR, W_TR = uniform(2, 21, 19, 80), uniform(4, 4, 20, 80)
X_TR1, W_TR1 = uniform(1, 40, 36, 96), uniform(3, 3, 24, 96)
X_TR_POINT, W_TR_POINT = uniform(4, 20, 20, 128), uniform(1, 1, 96, 128)
X_TR_DIRECT, W_TR_DIRECT = uniform(2, 21, 19, 16), uniform(3, 3, 32, 16)
X_POOL = uniform(4, 64, 64, 48)
X_CONV3D, W_CONV3D, B_CONV3D = uniform(2, 8, 9, 10, 16), uniform(3, 3, 3, 16, 24), uniform(24)
X_CONV3D_TR, W_CONV3D_TR = uniform(2, 8, 8, 8, 32), uniform(3, 3, 3, 16, 32)
X_POOL3D = uniform(3, 24, 24, 24, 16)
X_DEPTH, W_DEPTH, W_DEPTH2 = uniform(2, 56, 56, 64), uniform(3, 3, 64, 1), uniform(5, 5, 64, 2)
X_LSTM, K_LSTM, R_LSTM, B_LSTM = uniform(16, 6, 40), uniform(40, 800, scale=0.3), uniform(200, 800, scale=0.3), \
    uniform(800)
MASK = RNG.uniform(size=(16, 6)) > 0.3
X_STEP, H_STEP, C_STEP = uniform(64, 40), uniform(64, 200), uniform(64, 200)
# GRU / SimpleRNN: the input product of all steps (256 rows) is the threaded part; the recurrence is one thread.
X_REC, K_GRU, R_GRU, B_GRU = uniform(32, 8, 64), uniform(64, 600, scale=0.3), uniform(200, 600, scale=0.3), \
    uniform(2, 600)
K_RNN, R_RNN, B_RNN = uniform(64, 300, scale=0.3), uniform(300, 300, scale=0.1), uniform(300)
MASK_REC = RNG.uniform(size=(32, 8)) > 0.3
# A narrow input: only the recurrence (3 chunks of 16 samples) is big enough to thread.
X_CHUNKS, K_CHUNKS, R_CHUNKS = uniform(48, 20, 2), uniform(2, 384), uniform(128, 384, scale=0.2)
Q_ATT, K_ATT, V_ATT = uniform(2, 150, 4, 32), uniform(2, 90, 4, 32), uniform(2, 90, 4, 32)
MASK_ATT = RNG.uniform(size=(2, 1, 1, 90)) > 0.2
X_LN, R_LN, G_LN, B_LN = uniform(64, 64, 96), uniform(64, 64, 96), uniform(96), uniform(96)

CASES = {
    "dense": lambda: _core.dense(X_DENSE, W_DENSE, B_DENSE, "relu"),
    "dense_gemv": lambda: _core.dense(X_GEMV, W_GEMV, activation="tanh"),
    "conv2d_im2col": lambda: _core.conv2d(X_CONV, W_CONV, padding="same"),
    "conv2d_one_tile": lambda: _core.conv2d(X_DEEP, W_DEEP, padding="same"),
    "conv2d_direct": lambda: _core.conv2d(X_DIRECT, W_DIRECT, padding="same", activation="gelu"),
    "conv2d_pointwise": lambda: _core.conv2d(X_POINT, W_POINT),
    "conv2d_pointwise_residual": lambda: _core.conv2d(X_POINT, W_POINT, activation="relu", residual=R_POINT),
    "conv2d_direct_residual": lambda: _core.conv2d(X_DIRECT, W_DIRECT, padding="same", activation="relu",
                                                   residual=R_DIRECT),
    "conv2d_transpose": lambda: _core.conv2d_transpose(X_TR, W_TR, strides=(2, 2)),
    "conv2d_transpose_bands": lambda: _core.conv2d_transpose(X_TR1, W_TR1, strides=2, padding="same"),
    "conv2d_transpose_pointwise": lambda: _core.conv2d_transpose(X_TR_POINT, W_TR_POINT),
    "conv2d_transpose_direct": lambda: _core.conv2d_transpose(X_TR_DIRECT, W_TR_DIRECT, strides=(2, 2)),
    "depthwise_conv2d": lambda: _core.depthwise_conv2d(X_DEPTH, W_DEPTH, padding="same", activation="relu6"),
    "depthwise_conv2d_multiplier": lambda: _core.depthwise_conv2d(X_DEPTH, W_DEPTH2, strides=2, padding="same"),
    "conv3d": lambda: _core.conv3d(X_CONV3D, W_CONV3D, B_CONV3D, padding="same", activation="relu"),
    "conv3d_groups": lambda: _core.conv3d(X_CONV3D, W_CONV3D[..., :8, :], strides=(1, 2, 1), padding="same", groups=2),
    "conv3d_transpose": lambda: _core.conv3d_transpose(X_CONV3D_TR, W_CONV3D_TR, strides=2, padding="same"),
    "max_pool3d": lambda: _core.max_pool3d(X_POOL3D, 3, 2, "same"),
    "avg_pool3d": lambda: _core.avg_pool3d(X_POOL3D, 2),
    "max_pool2d": lambda: _core.max_pool2d(X_POOL, 3, 2, "same"),
    "avg_pool2d": lambda: _core.avg_pool2d(X_POOL, 3, 1, "same"),
    "lstm": lambda: _core.lstm(X_LSTM, K_LSTM, R_LSTM, B_LSTM, return_sequences=True, mask=MASK),
    "lstm_backwards": lambda: _core.lstm(X_LSTM, K_LSTM, R_LSTM, go_backwards=True),
    "lstm_step": lambda: _core.lstm_step(X_STEP, H_STEP, C_STEP, K_LSTM, R_LSTM, B_LSTM),
    "gru": lambda: _core.gru(X_REC, K_GRU, R_GRU, B_GRU, return_sequences=True, mask=MASK_REC),
    "gru_reset_before": lambda: _core.gru(X_REC, K_GRU, R_GRU, B_GRU[0], "relu", "hard_sigmoid", False,
                                          go_backwards=True),
    "gru_sample_chunks": lambda: _core.gru(X_CHUNKS, K_CHUNKS, R_CHUNKS, return_sequences=True),
    "simple_rnn_sample_chunks": lambda: _core.simple_rnn(X_CHUNKS, K_CHUNKS[:, :128], R_CHUNKS[:, :128],
                                                         go_backwards=True),
    "simple_rnn": lambda: _core.simple_rnn(X_REC, K_RNN, R_RNN, B_RNN, return_sequences=True, mask=MASK_REC),
    "attention": lambda: _core.attention(Q_ATT, K_ATT, V_ATT, MASK_ATT, scale=0.2, return_scores=True),
    "attention_causal": lambda: _core.attention(Q_ATT, K_ATT, V_ATT, causal=True, masked="uniform"),
    "layer_norm": lambda: _core.layer_norm(X_LN, G_LN, B_LN, 1e-6, residual=R_LN),
}


@pytest.mark.parametrize("name", CASES)
def test_bitwise_identical_on_1_2_3_threads(name, on_threads):
    on_threads(CASES[name])


def test_activation_is_one_pass_on_one_thread(on_threads):
    on_threads(lambda: _core.activation(X_POOL, "softmax"), threaded=False)


def test_small_work_stays_on_one_thread(on_threads):
    on_threads(lambda: _core.dense(X_DENSE[:4, :64], W_DENSE[:64, :50]), threaded=False)


def test_dense_result_is_the_reference(on_threads):
    y = on_threads(CASES["dense"])
    np.testing.assert_allclose(y, dense_ref(X_DENSE, W_DENSE, B_DENSE, "relu"), rtol=2e-4, atol=1e-4)


def test_another_threads_call_never_changes_this_calls_threads():
    # Dense calls on 2 threads in one Python thread while another runs conv2d calls (which once set
    # Eigen's process-wide thread count to 1 around their own parallel region).
    before, aware = _core.get_num_threads(), _core.load_aware()
    x, w = uniform(256, 512), uniform(512, 512)
    xc, wc = uniform(2, 30, 29, 16), uniform(3, 3, 16, 32)
    expected = _core.dense(x, w)
    stop = threading.Event()
    conv_calls = [0]

    def convs():
        while not stop.is_set():
            _core.conv2d(xc, wc, padding="same")
            conv_calls[0] += 1

    _core.set_num_threads(2)
    _core.set_load_aware(False)
    other = threading.Thread(target=convs)
    other.start()
    used, equal = [], []
    try:
        for _ in range(60):
            y = _core.dense(x, w)
            used.append(_core.last_call_threads())
            equal.append(np.array_equal(y, expected))
    finally:
        stop.set()
        other.join()
        _core.set_num_threads(before)
        _core.set_load_aware(aware)
    assert conv_calls[0] > 0
    assert used == [2] * 60
    assert all(equal)


def test_last_call_threads_is_per_python_thread():
    before, aware = _core.get_num_threads(), _core.load_aware()
    try:
        _core.set_num_threads(2)
        _core.set_load_aware(False)
        _core.dense(X_DENSE, W_DENSE)
        seen = []
        worker = threading.Thread(target=lambda: seen.append(_core.last_call_threads()))
        worker.start()
        worker.join()
        assert _core.last_call_threads() == 2 and seen == [1]
    finally:
        _core.set_num_threads(before)
        _core.set_load_aware(aware)


def views_at_float_offsets(shape, offsets=range(8)):
    """Writable C-contiguous float32 arrays of `shape` starting 0, 1, ... 7 floats into a buffer: every
    alignment a vector register can see."""
    size = int(np.prod(shape))
    return [np.zeros(size + 8, np.float32)[k:k + size].reshape(shape) for k in offsets]


@pytest.mark.parametrize("activation", ["gelu", "softmax", "tanh", "mish"])
def test_results_do_not_depend_on_the_output_address(activation):
    x, w = X_DIRECT[:1], W_DIRECT
    outs = views_at_float_offsets((1, 30, 29, 32))
    for out in outs:
        _core.conv2d(x, w, padding="same", activation=activation, out=out)
    assert all(np.array_equal(outs[0], out) for out in outs[1:])


@pytest.mark.parametrize("act,ract", [("tanh", "sigmoid"), ("relu", "hard_sigmoid")])
def test_lstm_step_does_not_depend_on_the_state_address(act, ract):
    units = 37  # a tail past the vector blocks
    kernel, recurrent = K_LSTM[:, :4 * units], R_LSTM[:units, :4 * units]
    results = []
    for h_out, c_out in zip(views_at_float_offsets((8, units)), views_at_float_offsets((8, units))):
        _core.lstm_step(X_STEP[:8], H_STEP[:8, :units], C_STEP[:8, :units], kernel, recurrent, None, act, ract,
                        out=(h_out, c_out))
        results.append((h_out, c_out))
    assert all(np.array_equal(results[0][i], r[i]) for r in results[1:] for i in (0, 1))
