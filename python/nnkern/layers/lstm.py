"""LSTMCell (one step, `_core.lstm_step`) and LSTM (an RNN over an LSTMCell, the whole sequence in one
`_core.lstm` call), as in Keras 3.

As in Keras 3 the variables belong to the cell (`lstm/lstm_cell/kernel`, `.../recurrent_kernel`,
`.../bias`; gates i, f, c, o along the last axis). Inference only: dropout / recurrent_dropout are
accepted and are the identity. Masks and states: see rnn.py.
"""
import numpy as np

from nnkern import _core, activations, initializers
from nnkern.engine.layer import Layer
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.rnn import RNN, float32_array

__all__ = ["LSTMCell", "LSTM"]


def _positive_units(units, layer):
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{layer}: received an invalid value for argument `units`, expected a positive integer, "
                         f"got {units}.")
    return int(units)


def dropout_rate(value, name, layer):
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: `{name}` must be a float between 0 and 1. Received: {name}={value!r}") from None


class LSTMCell(Layer):
    """One LSTM step: (h, [h, c]) from inputs (batch, features) and states [h, c] (batch, units)."""

    _plan_trusted = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        cls = self.__class__.__name__
        units = _positive_units(units, cls)
        self.implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.recurrent_regularizer = recurrent_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = dropout_rate(dropout, "dropout", cls)
        self.recurrent_dropout = dropout_rate(recurrent_dropout, "recurrent_dropout", cls)
        self.seed = seed
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': the last (features) axis of the input "
                             f"must be known. Received input shape {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=(input_dim, 4 * self.units), name="kernel",
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, 4 * self.units), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            bias_initializer = self.bias_initializer
            if self.unit_forget_bias:
                def bias_initializer(shape, dtype=None, base=self.bias_initializer, units=self.units):
                    # The forget gate's bias starts at 1 (Jozefowicz et al.), the others from the initializer.
                    part = initializers.call_initializer
                    return np.concatenate([part(base, (units,), dtype), np.ones((units,), dtype),
                                           part(base, (2 * units,), dtype)])
            self.bias = self.add_weight(shape=(4 * self.units,), name="bias", initializer=bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    @property
    def _fused_activations(self):
        """Kernel names of (activation, recurrent_activation), or None if either is a user callable."""
        names = activations.fused_name(self.activation), activations.fused_name(self.recurrent_activation)
        return None if None in names else names

    def _weights_arrays(self):
        return self.kernel.value, self.recurrent_kernel.value, None if self.bias is None else self.bias.value

    def sequence_kernel(self):
        """(_core.lstm, its weight arguments) to run a whole sequence in one compiled call (the RNN cell
        protocol), or None: an activation is a user callable, a subclass computes its own initial state,
        gates or weights, or the weights are not contiguous float32."""
        if not (self.built and type(self).get_initial_state is LSTMCell.get_initial_state
                and type(self)._fused_activations is LSTMCell._fused_activations
                and type(self)._weights_arrays is LSTMCell._weights_arrays):
            return None
        fused = self._fused_activations
        weights = self._weights_arrays()
        if fused is None or not all(w is None or (w.dtype == np.float32 and w.flags.c_contiguous) for w in weights):
            return None
        return _core.lstm, (*weights, *fused)

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
        if not isinstance(states, (list, tuple)) or len(states) != 2:
            raise ValueError(f"LSTMCell layer '{self.name}': `states` must be a list [h, c] of two (batch, "
                             f"{self.units}) arrays. Received: {states!r}")
        x = float32_array(inputs)
        h, c = (float32_array(s) for s in states)
        for what, s in (("h", h), ("c", c)):
            if s.shape != (x.shape[0], self.units):
                raise ValueError(f"LSTMCell layer '{self.name}': state {what} must have shape "
                                 f"{(x.shape[0], self.units)}, got {s.shape}")
        h, c = self.step(x, h, c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        return [np.zeros((batch_size, d), np.float32) for d in self.state_size]

    def get_config(self):
        return {**super().get_config(),
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": self.kernel_regularizer,
                "recurrent_regularizer": self.recurrent_regularizer,
                "bias_regularizer": self.bias_regularizer,
                "kernel_constraint": self.kernel_constraint,
                "recurrent_constraint": self.recurrent_constraint,
                "bias_constraint": self.bias_constraint,
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


# Keras 1 LSTM keywords -> Keras 3 ones.
_LEGACY_LSTM_KWARGS = {"output_dim": "units", "init": "kernel_initializer", "inner_init": "recurrent_initializer",
                       "inner_activation": "recurrent_activation", "W_regularizer": "kernel_regularizer",
                       "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer",
                       "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}

# LSTM reads these hyper-parameters through from its cell, as Keras's LSTM properties do.
_CELL_ATTRIBUTES = frozenset(("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
                              "kernel_initializer", "recurrent_initializer", "bias_initializer",
                              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                              "recurrent_dropout", "seed"))


class LSTM(RNN):
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
        legacy = {new: kwargs.pop(old) for old, new in _LEGACY_LSTM_KWARGS.items() if old in kwargs}
        kwargs.pop("consume_less", None)  # Keras 1 implementation hint
        if "units" in legacy and units is None:
            units = legacy.pop("units")
        cell_args = dict(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed)
        cell_args.update({k: v for k, v in legacy.items() if k != "units"})
        cls = self.__class__.__name__
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{cls}: invalid value received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        cell = LSTMCell(_positive_units(units, cls), dtype=kwargs.get("dtype"),
                        trainable=kwargs.get("trainable", True), name="lstm_cell",
                        implementation=kwargs.pop("implementation", 2), **cell_args)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def __getattr__(self, name):
        if name in _CELL_ATTRIBUTES and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = self.activity_regularizer
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return Layer.from_config.__func__(cls, config)
