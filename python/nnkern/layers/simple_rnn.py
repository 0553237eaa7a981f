"""SimpleRNNCell and SimpleRNN (an RNN over a SimpleRNNCell, the whole sequence in one `_core.simple_rnn`
call), as in Keras 3: h' = activation(x . kernel + bias + h . recurrent_kernel).

The variables belong to the cell (`simple_rnn/simple_rnn_cell/kernel`, ...). Inference only: dropout /
recurrent_dropout are accepted and are the identity. Masks and states: see rnn.py.
"""
from nnkern import _core
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.recurrent_base import (RecurrentCell, RecurrentLayer, cell_arguments, legacy_cell_arguments,
                                          positive_units)
from nnkern.layers.rnn import float32_array

__all__ = ["SimpleRNNCell", "SimpleRNN"]


class SimpleRNNCell(RecurrentCell):
    """One SimpleRNN step: (h, [h]) from inputs (batch, features) and the state h (batch, units)."""

    _activation_names = ("activation",)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**cell_arguments(locals()))
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._build_weights(input_shape, self.units, (self.units,))

    def sequence_kernel(self):
        """(_core.simple_rnn, its weight arguments) to run a whole sequence in one compiled call (the RNN cell
        protocol), or None (see RecurrentCell._kernel_arguments)."""
        arguments = self._kernel_arguments(SimpleRNNCell)
        return None if arguments is None else (_core.simple_rnn, arguments)

    def step(self, x, h):
        """h after one step from x (batch, features) and h (batch, units), float32."""
        kernel, recurrent_kernel, bias = self._weights_arrays()
        fused = self._fused_activations
        if fused is not None:  # a one-step sequence
            return run_kernel(self, _core.simple_rnn, x[:, None], kernel, recurrent_kernel, bias, *fused, False,
                              False, h)[1]
        z = x @ kernel if bias is None else x @ kernel + bias
        return float32_array(self.activation(z + h @ recurrent_kernel))

    def call(self, inputs, states, training=None):
        x, (h,) = self._checked_states(inputs, states, ("h",))
        h = self.step(x, h)
        return h, [h] if isinstance(states, (list, tuple)) else h


class SimpleRNN(RecurrentLayer):
    """Fully-connected RNN over (batch, timesteps, features), Keras 3 semantics (see module docstring).

    call(sequences, initial_state=None, mask=None, training=None) returns the last output (batch, units),
    or every output (batch, timesteps, units) with return_sequences; with return_state also the final
    h: (output, h)."""

    def __init__(self, units=None, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        units, legacy = legacy_cell_arguments(kwargs, units)
        legacy.pop("recurrent_activation", None)  # Keras 1's inner_activation; a SimpleRNN has no gates
        cell_args = dict(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed)
        cell_args.update(legacy)
        cell = SimpleRNNCell(positive_units(units, self.__class__.__name__), dtype=kwargs.get("dtype"),
                             trainable=kwargs.get("trainable", True), name="simple_rnn_cell", **cell_args)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["seed"]  # Keras 3's SimpleRNN (unlike its cell, LSTM and GRU) leaves the seed out
        return config
