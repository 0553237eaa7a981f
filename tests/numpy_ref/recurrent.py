"""Keras 3 GRU and SimpleRNN forward as plain step loops (float64)."""
import numpy as np

from numpy_ref.activations import activation


def gru_step(x_t, h, kernel, recurrent_kernel, bias=None, act="tanh", recurrent_act="sigmoid", reset_after=True):
    """One GRU step (keras.layers.GRUCell, implementation 2): the new h. Gates (z, r, h) along the 3u axis;
    bias (2, 3u) (input, recurrent) with reset_after, else (3u,)."""
    x_t, h = np.asarray(x_t, np.float64), np.asarray(h, np.float64)
    kernel, recurrent_kernel = np.asarray(kernel, np.float64), np.asarray(recurrent_kernel, np.float64)
    units = recurrent_kernel.shape[0]
    input_bias = recurrent_bias = None
    if bias is not None:
        bias = np.asarray(bias, np.float64)
        input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    matrix_x = x_t @ kernel + (0 if input_bias is None else input_bias)
    x_z, x_r, x_h = np.split(matrix_x, 3, axis=-1)
    if reset_after:
        inner = h @ recurrent_kernel + (0 if recurrent_bias is None else recurrent_bias)
    else:
        inner = h @ recurrent_kernel[:, :2 * units]
    z = activation(x_z + inner[:, :units], recurrent_act)
    r = activation(x_r + inner[:, units:2 * units], recurrent_act)
    if reset_after:
        recurrent_h = r * inner[:, 2 * units:]
    else:
        recurrent_h = (r * h) @ recurrent_kernel[:, 2 * units:]
    hh = activation(x_h + recurrent_h, act)
    return z * h + (1 - z) * hh


def simple_rnn_step(x_t, h, kernel, recurrent_kernel, bias=None, act="tanh"):
    """One SimpleRNN step: act(x_t . W + b + h . U)."""
    z = np.asarray(x_t, np.float64) @ np.asarray(kernel, np.float64)
    if bias is not None:
        z = z + np.asarray(bias, np.float64)
    return activation(z + np.asarray(h, np.float64) @ np.asarray(recurrent_kernel, np.float64), act)


def run_sequence(step, x, units, return_sequences=False, go_backwards=False, initial_h=None, mask=None):
    """(output, h) of a one-state recurrent layer with return_state=True: a masked step keeps a sample's h
    and outputs it again; with go_backwards the outputs are listed in processing order, as Keras 3 does."""
    x = np.asarray(x, np.float64)
    batch, timesteps, _ = x.shape
    h = np.zeros((batch, units)) if initial_h is None else np.array(initial_h, np.float64)
    keep = np.ones((batch, timesteps), bool) if mask is None else np.asarray(mask).astype(bool)
    outputs = []
    for t in (reversed(range(timesteps)) if go_backwards else range(timesteps)):
        h = np.where(keep[:, t:t + 1], step(x[:, t], h), h)
        outputs.append(h)
    if return_sequences:
        output = np.stack(outputs, axis=1) if outputs else np.zeros((batch, 0, units))
    else:
        output = h
    return output, h


def gru(x, kernel, recurrent_kernel, bias=None, act="tanh", recurrent_act="sigmoid", reset_after=True,
        return_sequences=False, go_backwards=False, initial_h=None, mask=None):
    """(output, h) as keras.layers.GRU(return_sequences=..., return_state=True, go_backwards=...)."""
    def step(x_t, h):
        return gru_step(x_t, h, kernel, recurrent_kernel, bias, act, recurrent_act, reset_after)
    return run_sequence(step, x, np.shape(recurrent_kernel)[0], return_sequences, go_backwards, initial_h, mask)


def simple_rnn(x, kernel, recurrent_kernel, bias=None, act="tanh", return_sequences=False, go_backwards=False,
               initial_h=None, mask=None):
    """(output, h) as keras.layers.SimpleRNN(return_sequences=..., return_state=True, go_backwards=...)."""
    def step(x_t, h):
        return simple_rnn_step(x_t, h, kernel, recurrent_kernel, bias, act)
    return run_sequence(step, x, np.shape(recurrent_kernel)[0], return_sequences, go_backwards, initial_h, mask)
