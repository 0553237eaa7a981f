"""GRUCell and GRU (an RNN over a GRUCell, the whole sequence in one `_core.gru` call), as in Keras 3.

The variables belong to the cell (`gru/gru_cell/kernel`, `.../recurrent_kernel`, `.../bias`; gates z, r, h
along the last axis). reset_after=True (Keras 3's default) applies the reset gate after the recurrent
product and keeps separate input and recurrent biases (bias (2, 3 * units)); reset_after=False applies it
to h before the product (bias (3 * units,)). Inference only: dropout / recurrent_dropout are accepted and
are the identity. Masks and states: see rnn.py.
"""
import numpy as np

from nnkern import _core
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.recurrent_base import (RecurrentCell, RecurrentLayer, cell_arguments, legacy_cell_arguments,
                                          positive_units)
from nnkern.layers.rnn import float32_array

__all__ = ["GRUCell", "GRU"]


class GRUCell(RecurrentCell):
    """One GRU step: (h, [h]) from inputs (batch, features) and the state h (batch, units)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(**cell_arguments(locals()))
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        columns = 3 * self.units
        self._build_weights(input_shape, columns, (2, columns) if self.reset_after else (columns,))

    def sequence_kernel(self):
        """(_core.gru, its weight arguments) to run a whole sequence in one compiled call (the RNN cell
        protocol), or None (see RecurrentCell._kernel_arguments)."""
        arguments = self._kernel_arguments(GRUCell)
        return None if arguments is None else (_core.gru, (*arguments, self.reset_after))

    def step(self, x, h):
        """h after one step from x (batch, features) and h (batch, units), float32."""
        kernel, recurrent_kernel, bias = self._weights_arrays()
        fused = self._fused_activations
        if fused is not None:  # a one-step sequence
            return run_kernel(self, _core.gru, x[:, None], kernel, recurrent_kernel, bias, *fused, self.reset_after,
                              False, False, h)[1]
        u = self.units
        input_bias, recurrent_bias = (None, None) if bias is None else (bias[0], bias[1]) if self.reset_after \
            else (bias, None)
        matrix_x = x @ kernel if input_bias is None else x @ kernel + input_bias
        if self.reset_after:
            inner = h @ recurrent_kernel if recurrent_bias is None else h @ recurrent_kernel + recurrent_bias
        else:
            inner = h @ recurrent_kernel[:, :2 * u]
        z = float32_array(self.recurrent_activation(matrix_x[:, :u] + inner[:, :u]))
        r = float32_array(self.recurrent_activation(matrix_x[:, u:2 * u] + inner[:, u:2 * u]))
        recurrent_h = r * inner[:, 2 * u:] if self.reset_after else (r * h) @ recurrent_kernel[:, 2 * u:]
        hh = float32_array(self.activation(matrix_x[:, 2 * u:] + recurrent_h))
        return z * h + (np.float32(1) - z) * hh

    def call(self, inputs, states, training=None):
        x, (h,) = self._checked_states(inputs, states, ("h",))
        h = self.step(x, h)
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


class GRU(RecurrentLayer):
    """Gated Recurrent Unit over (batch, timesteps, features), Keras 3 semantics (see module docstring).

    call(sequences, initial_state=None, mask=None, training=None) returns the last output (batch, units),
    or every output (batch, timesteps, units) with return_sequences; with return_state also the final
    h: (output, h)."""

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        units, legacy = legacy_cell_arguments(kwargs, units)
        cell_args = dict(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         reset_after=reset_after, seed=seed)
        cell_args.update(legacy)
        cls = self.__class__.__name__
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{cls}: invalid value received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        cell = GRUCell(positive_units(units, cls), dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                       name="gru_cell", implementation=kwargs.pop("implementation", 2), **cell_args)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn
