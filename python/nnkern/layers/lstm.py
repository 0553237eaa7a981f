"""LSTMCell (one step, `_core.lstm_step`) and LSTM (an RNN over an LSTMCell, the whole sequence in one
`_core.lstm` call), as in Keras 3.

As in Keras 3 the variables belong to the cell (`lstm/lstm_cell/kernel`, `.../recurrent_kernel`,
`.../bias`; gates i, f, c, o along the last axis). Inference only: dropout / recurrent_dropout are
accepted and are the identity. Masks and states: see rnn.py; what the recurrent layers share: recurrent_base.py.
"""
import numpy as np

from nnkern import _core, initializers
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.recurrent_base import (RecurrentCell, RecurrentLayer, cell_arguments, legacy_cell_arguments,
                                          positive_units)
from nnkern.layers.rnn import float32_array

__all__ = ["LSTMCell", "LSTM"]


class LSTMCell(RecurrentCell):
    """One LSTM step: (h, [h, c]) from inputs (batch, features) and states [h, c] (batch, units)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**cell_arguments(locals()))
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        bias_initializer = self.bias_initializer
        if self.unit_forget_bias:
            def bias_initializer(shape, dtype=None, base=self.bias_initializer, units=self.units):
                # The forget gate's bias starts at 1 (Jozefowicz et al.), the others from the initializer.
                part = initializers.call_initializer
                return np.concatenate([part(base, (units,), dtype), np.ones((units,), dtype),
                                       part(base, (2 * units,), dtype)])
        self._build_weights(input_shape, 4 * self.units, (4 * self.units,), bias_initializer)

    def sequence_kernel(self):
        """(_core.lstm, its weight arguments) to run a whole sequence in one compiled call (the RNN cell
        protocol), or None (see RecurrentCell._kernel_arguments)."""
        arguments = self._kernel_arguments(LSTMCell)
        return None if arguments is None else (_core.lstm, arguments)

    def step(self, x, h, c):
        """(h, c) after one step from x (batch, features), h, c (batch, units), all float32."""
        kernel, recurrent_kernel, bias = self._weights_arrays()
        fused = self._fused_activations
        if fused is not None:
            return run_kernel(self, _core.lstm_step, x, h, c, kernel, recurrent_kernel, bias, *fused)
        z = x @ kernel + h @ recurrent_kernel
        if bias is not None:
            z = z + bias
        u = self.units
        i = float32_array(self.recurrent_activation(z[:, :u]))
        f = float32_array(self.recurrent_activation(z[:, u:2 * u]))
        g = float32_array(self.activation(z[:, 2 * u:3 * u]))
        o = float32_array(self.recurrent_activation(z[:, 3 * u:]))
        c = f * c + i * g
        return o * float32_array(self.activation(c)), c

    def call(self, inputs, states, training=None):
        x, (h, c) = self._checked_states(inputs, states, ("h", "c"))
        h, c = self.step(x, h, c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class LSTM(RecurrentLayer):
    """Long Short-Term Memory over (batch, timesteps, features), Keras 3 semantics (see module docstring).

    call(sequences, initial_state=None, mask=None, training=None) returns the last output (batch, units),
    or every output (batch, timesteps, units) with return_sequences; with return_state also the final
    h and c: (output, h, c)."""

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        units, legacy = legacy_cell_arguments(kwargs, units)
        cell_args = dict(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed)
        cell_args.update(legacy)
        cls = self.__class__.__name__
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{cls}: invalid value received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        cell = LSTMCell(positive_units(units, cls), dtype=kwargs.get("dtype"),
                        trainable=kwargs.get("trainable", True), name="lstm_cell",
                        implementation=kwargs.pop("implementation", 2), **cell_args)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn
