"""Keras 3 LSTM forward as a plain step loop (float64)."""
import numpy as np

from numpy_ref.activations import activation


def lstm_step(x_t, h, c, kernel, recurrent_kernel, bias=None, act="tanh", recurrent_act="sigmoid"):
    """One step: returns the new (h, c). Gates (i, f, c, o) along the 4u axis, as Keras stores them."""
    z = np.asarray(x_t, np.float64) @ np.asarray(kernel, np.float64)
    z = z + np.asarray(h, np.float64) @ np.asarray(recurrent_kernel, np.float64)
    if bias is not None:
        z = z + np.asarray(bias, np.float64)
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    c_new = activation(z_f, recurrent_act) * c + activation(z_i, recurrent_act) * activation(z_c, act)
    h_new = activation(z_o, recurrent_act) * activation(c_new, act)
    return h_new, c_new


def lstm(x, kernel, recurrent_kernel, bias=None, act="tanh", recurrent_act="sigmoid", return_sequences=False,
         go_backwards=False, initial_h=None, initial_c=None, mask=None):
    """(output, h, c) as keras.layers.LSTM(return_sequences=..., return_state=True, go_backwards=...).

    A masked step keeps a sample's h and c and outputs the carried h; with go_backwards the
    outputs are listed in processing order (last time step first), as Keras 3 does."""
    x = np.asarray(x, np.float64)
    batch, timesteps, _ = x.shape
    units = np.asarray(recurrent_kernel).shape[0]
    h = np.zeros((batch, units)) if initial_h is None else np.array(initial_h, np.float64)
    c = np.zeros((batch, units)) if initial_c is None else np.array(initial_c, np.float64)
    keep = np.ones((batch, timesteps), bool) if mask is None else np.asarray(mask).astype(bool)
    outputs = []
    for t in (reversed(range(timesteps)) if go_backwards else range(timesteps)):
        h_new, c_new = lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias, act, recurrent_act)
        step_kept = keep[:, t:t + 1]
        h = np.where(step_kept, h_new, h)
        c = np.where(step_kept, c_new, c)
        outputs.append(h)
    if return_sequences:
        output = np.stack(outputs, axis=1) if outputs else np.zeros((batch, 0, units))
    else:
        output = h
    return output, h, c
