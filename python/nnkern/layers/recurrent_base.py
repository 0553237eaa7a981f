"""What the recurrent layers share: RecurrentCell, the base of LSTMCell, GRUCell and SimpleRNNCell (Keras 3's
common cell arguments, kernel / recurrent_kernel / bias weights, the compiled sequence kernel of the RNN cell
protocol), and RecurrentLayer, the base of LSTM, GRU and SimpleRNN (an RNN over its own cell whose
hyper-parameters it reads through and flattens into its config)."""
import inspect

import numpy as np

from nnkern import activations, constraints, initializers, regularizers
from nnkern.engine.layer import Layer
from nnkern.layers.rnn import RNN, float32_array

__all__ = ["RecurrentCell", "RecurrentLayer", "positive_units", "legacy_cell_arguments", "set_weight_arguments",
           "weight_arguments_config", "cell_arguments"]


def positive_units(units, layer):
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{layer}: received an invalid value for argument `units`, expected a positive integer, "
                         f"got {units}.")
    return int(units)


def dropout_rate(value, name, layer):
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: `{name}` must be a float between 0 and 1. Received: {name}={value!r}") from None


# Keras 1 recurrent-layer keywords -> Keras 3 ones.
_LEGACY_KWARGS = {"output_dim": "units", "init": "kernel_initializer", "inner_init": "recurrent_initializer",
                  "inner_activation": "recurrent_activation", "W_regularizer": "kernel_regularizer",
                  "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer",
                  "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}


def legacy_cell_arguments(kwargs, units):
    """Pops Keras 1 keywords (output_dim, init, inner_activation, ...) from a recurrent layer's kwargs:
    (units, {Keras 3 cell argument: value})."""
    legacy = {new: kwargs.pop(old) for old, new in _LEGACY_KWARGS.items() if old in kwargs}
    kwargs.pop("consume_less", None)  # Keras 1 implementation hint
    if "units" in legacy:
        given = legacy.pop("units")
        units = given if units is None else units
    return units, legacy


# A recurrent cell's weights and the arguments each takes (as Keras's cells name them).
_WEIGHTS = ("kernel", "recurrent", "bias")


def set_weight_arguments(cell, initializers_, regularizers_, constraints_):
    """Sets cell.<weight>_initializer / _regularizer / _constraint for kernel, recurrent and bias from the
    given (kernel, recurrent, bias) triples, resolved as Keras does (names, configs, objects)."""
    for weight, initializer, regularizer, constraint in zip(_WEIGHTS, initializers_, regularizers_, constraints_):
        setattr(cell, f"{weight}_initializer", initializers.get(initializer))
        setattr(cell, f"{weight}_regularizer", regularizers.get(regularizer))
        setattr(cell, f"{weight}_constraint", constraints.get(constraint))


def weight_arguments_config(cell, unit_forget_bias=None):
    """The config entries of set_weight_arguments' attributes in Keras's order (initializers, Keras's
    unit_forget_bias when given, regularizers, constraints)."""
    config = {f"{w}_initializer": initializers.serialize(getattr(cell, f"{w}_initializer")) for w in _WEIGHTS}
    if unit_forget_bias is not None:
        config["unit_forget_bias"] = unit_forget_bias
    config.update({f"{w}_regularizer": regularizers.serialize(getattr(cell, f"{w}_regularizer")) for w in _WEIGHTS})
    config.update({f"{w}_constraint": constraints.serialize(getattr(cell, f"{w}_constraint")) for w in _WEIGHTS})
    return config


def cell_arguments(arguments):
    """RecurrentCell's constructor arguments from a subclass constructor's `locals()`: LSTMCell, GRUCell and
    SimpleRNNCell take Keras's explicit arguments (the same names) and pass them on in one call."""
    return {**{name: arguments[name] for name in _CELL_PARAMETERS if name in arguments}, **arguments["kwargs"]}


class RecurrentCell(Layer):
    """A cell with Keras's kernel (input_dim, gates * units), recurrent_kernel (units, gates * units) and
    bias. Subclasses set `_activation_names` (the attributes fused into the kernel, in its argument order),
    build with `_build_weights` and offer `sequence_kernel()` (the RNN cell protocol) from `_kernel_arguments`."""

    _plan_trusted = True
    _activation_names = ("activation", "recurrent_activation")

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, recurrent_activation="sigmoid",
                 **kwargs):
        cls = self.__class__.__name__
        units = positive_units(units, cls)
        gated = "recurrent_activation" in self._activation_names
        if gated:  # LSTMCell, GRUCell: Keras's implementation hint (1 or 2), the same maths either way
            self.implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        if gated:
            self.recurrent_activation = activations.get(recurrent_activation)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_weight_arguments(self, (kernel_initializer, recurrent_initializer, bias_initializer),
                             (kernel_regularizer, recurrent_regularizer, bias_regularizer),
                             (kernel_constraint, recurrent_constraint, bias_constraint))
        self.dropout = dropout_rate(dropout, "dropout", cls)
        self.recurrent_dropout = dropout_rate(recurrent_dropout, "recurrent_dropout", cls)
        self.seed = seed

    def _build_weights(self, input_shape, columns, bias_shape, bias_initializer=None):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': the last (features) axis of the input "
                             f"must be known. Received input shape {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=(input_dim, columns), name="kernel", initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, columns), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=bias_shape, name="bias",
                                        initializer=bias_initializer or self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    @property
    def _fused_activations(self):
        """Kernel names of the activations (see _activation_names), or None if one is a user callable."""
        names = tuple(activations.fused_name(getattr(self, a)) for a in self._activation_names)
        return None if None in names else names

    def _weights_arrays(self):
        return self.kernel.value, self.recurrent_kernel.value, None if self.bias is None else self.bias.value

    def _kernel_arguments(self, cls):
        """(kernel, recurrent_kernel, bias, *activation names) for the compiled kernel, or None: an activation
        is a user callable, a subclass of `cls` computes its own initial state, activations or weights, or the
        weights are not contiguous float32."""
        if not (self.built and all(getattr(type(self), m) is getattr(cls, m)
                                   for m in ("get_initial_state", "_fused_activations", "_weights_arrays"))):
            return None
        fused = self._fused_activations
        weights = self._weights_arrays()
        if fused is None or not all(w is None or (w.dtype == np.float32 and w.flags.c_contiguous) for w in weights):
            return None
        return (*weights, *fused)

    def _checked_states(self, inputs, states, names):
        """inputs and the states (a list of one array per name, or one array for a single state) as float32,
        their shapes checked."""
        listed = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(listed) != len(names):
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': `states` must be a list "
                             f"[{', '.join(names)}] of {len(names)} (batch, {self.units}) array(s). "
                             f"Received: {states!r}")
        x = float32_array(inputs)
        listed = [float32_array(s) for s in listed]
        for name, s in zip(names, listed):
            if s.shape != (x.shape[0], self.units):
                raise ValueError(f"{self.__class__.__name__} layer '{self.name}': state {name} must have shape "
                                 f"{(x.shape[0], self.units)}, got {s.shape}")
        return x, listed

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [np.zeros((batch_size, d), np.float32) for d in sizes]

    def get_config(self):
        config = {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation)}
        if "recurrent_activation" in self._activation_names:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return {**config, "use_bias": self.use_bias, **weight_arguments_config(self),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


# The cell hyper-parameters a recurrent layer reads through, as Keras's LSTM / GRU / SimpleRNN properties do.
_CELL_ATTRIBUTES = frozenset(("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
                              "reset_after", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                              "recurrent_dropout", "seed"))


class RecurrentLayer(RNN):
    """An RNN over the cell it makes itself (LSTM, GRU, SimpleRNN, ConvLSTM2D): the cell's hyper-parameters
    (`_cell_attributes`) are read through and its config is flattened into the layer's, as in Keras 3."""

    _cell_attributes = _CELL_ATTRIBUTES

    def __getattr__(self, name):
        cell = self.__dict__.get("cell")
        if name in type(self)._cell_attributes and cell is not None and hasattr(cell, name):
            return getattr(cell, name)
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


# RecurrentCell's named constructor parameters (cell_arguments passes these on).
_CELL_PARAMETERS = tuple(inspect.signature(RecurrentCell.__init__).parameters)[1:-1]
