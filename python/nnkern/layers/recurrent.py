"""Recurrent layers as in Keras 3: RNN (any cell over the time axis), LSTMCell (one step), LSTM
(RNN over an LSTMCell) and Bidirectional, over the compiled `_core.lstm_step` / `_core.lstm` kernels.

As in Keras 3 the variables belong to the cell (`lstm/lstm_cell/kernel`, `.../recurrent_kernel`,
`.../bias`; gates i, f, c, o along the last axis). Inference only: dropout / recurrent_dropout are
accepted and are the identity; `stateful=True` is refused. An input mask (Masking, Embedding with
mask_zero=True) makes a masked step carry h and c over and output the carried h, as Keras's default
(zero_output_for_mask=False) does; the output mask is the input mask when return_sequences.
"""
import numpy as np

from nnkern import _core, activations, initializers
from nnkern.engine import tree
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.engine.registry import deserialize, serialize_layer
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.legacy import translate_sequence_input_kwargs

__all__ = ["RNN", "LSTMCell", "LSTM", "Bidirectional"]


def _positive_units(units, layer):
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{layer}: received an invalid value for argument `units`, expected a positive integer, "
                         f"got {units}.")
    return int(units)


def _rate(value, name, layer):
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: `{name}` must be a float between 0 and 1. Received: {name}={value!r}") from None


def _float32(x):
    x = getattr(x, "value", x)  # a Variable
    return x if isinstance(x, np.ndarray) and x.dtype == np.float32 else np.asarray(x, dtype=np.float32)


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
        self.dropout = _rate(dropout, "dropout", cls)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", cls)
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
        i = _float32(self.recurrent_activation(z[:, :u]))
        f = _float32(self.recurrent_activation(z[:, u:2 * u]))
        g = _float32(self.activation(z[:, 2 * u:3 * u]))
        o = _float32(self.recurrent_activation(z[:, 3 * u:]))
        c = f * c + i * g
        return o * _float32(self.activation(c)), c

    def call(self, inputs, states, training=None):
        if not isinstance(states, (list, tuple)) or len(states) != 2:
            raise ValueError(f"LSTMCell layer '{self.name}': `states` must be a list [h, c] of two (batch, "
                             f"{self.units}) arrays. Received: {states!r}")
        x = _float32(inputs)
        h, c = (_float32(s) for s in states)
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


def _nest_paths(layer, weights):
    """Keras 3's variable paths for weights a sublayer created (lstm/lstm_cell/kernel,
    bidirectional/forward_lstm/lstm_cell/kernel): `layer`'s name in front, unless name scopes already put
    it there."""
    for w in weights:
        if f"/{layer.name}/" not in f"/{w.path}":
            w.path = f"{layer.name}/{w.path}"


def _check_state(state, shape, layer, what):
    state = _float32(state)
    if state.shape != shape:
        raise ValueError(f"{layer.__class__.__name__} layer '{layer.name}': initial state {what} must have shape "
                         f"{shape} (batch, state size), got {state.shape}")
    return state


class RNN(Layer):
    """Runs a cell over the time axis of (batch, timesteps, features), Keras 3's RNN layer.

    The cell is any layer (or object) with `state_size` (an int or a list of ints) and
    `call(inputs, states) -> (output, new_states)`. An LSTMCell with built-in activations runs as one
    compiled `_core.lstm` call, any other cell one step at a time. A masked step keeps every state and
    outputs the previous output (the first state), as Keras does with zero_output_for_mask=False."""

    _plan_trusted = True
    _lstm_args = None  # call(x)'s kernel arguments once built (see _fused_lstm_args)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        cls = self.__class__.__name__
        if isinstance(cell, (list, tuple)):
            raise ValueError(f"{cls}: a list of cells (StackedRNNCells) is not supported by nnkern; stack "
                             "RNN layers with return_sequences=True instead.")
        if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
            raise ValueError(f"{cls}: argument `cell` must have a `call` method and a `state_size` attribute. "
                             f"Received: cell={cell}")
        if stateful:
            raise ValueError(f"{cls}: stateful=True is not supported by nnkern (inference on independent batches); "
                             "pass the carried states with `initial_state=[...]` and `return_state=True` instead.")
        if kwargs.pop("time_major", False):  # in Keras 2 configs; the batch axis always comes first here
            raise ValueError(f"{cls}: time_major=True is not supported; inputs are (batch, timesteps, features)")
        translate_sequence_input_kwargs(kwargs)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        sizes = cell.state_size
        self.state_size = [int(sizes)] if isinstance(sizes, (int, np.integer)) else [int(n) for n in sizes]
        self.single_state = isinstance(sizes, (int, np.integer))
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    @property
    def _output_size(self):
        return int(getattr(self.cell, "output_size", None) or self.state_size[0])

    def build(self, sequences_shape, initial_state_shape=None):
        cell = self.cell
        if isinstance(cell, Layer) and not cell.built:
            step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
            if getattr(cell.build, "_nnkern_default", False):
                cell.built = True
            else:
                cell.build(step_shape)
            _nest_paths(self, cell.weights)
        object.__setattr__(self, "_lstm_args", self._fused_lstm_args())
        self.built = True

    def _fused_lstm_args(self):
        """The arguments after x of call(x)'s `_core.lstm` call when there is no initial state and no mask,
        fixed once built; None unless the cell is a plain LSTMCell with built-in activations and float32
        weights. The weight arrays are the variables' own buffers, which assign() updates in place; data,
        not a closure, so that copies and pickles of the layer use their own weights."""
        cell = self.cell
        if not (isinstance(cell, LSTMCell) and cell.built and type(self).get_initial_state is RNN.get_initial_state
                and type(cell).get_initial_state is LSTMCell.get_initial_state
                and type(cell)._fused_activations is LSTMCell._fused_activations
                and type(cell)._weights_arrays is LSTMCell._weights_arrays):
            return None
        fused = cell._fused_activations
        weights = cell._weights_arrays()
        if fused is None or not all(w is None or (w.dtype == np.float32 and w.flags.c_contiguous) for w in weights):
            return None
        # None initial states: the kernel starts from zeros, as LSTMCell.get_initial_state does.
        return (*weights, *fused, self.return_sequences, self.go_backwards, None, None, None)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        units = self._output_size
        output = (batch, steps, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return (output,) + tuple((batch, n) for n in self.state_size)
        return output

    def compute_mask(self, inputs, mask):
        mask = tree.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def get_initial_state(self, batch_size):
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return [_float32(s) for s in (states if isinstance(states, (list, tuple)) else [states])]
        return [np.zeros((batch_size, n), np.float32) for n in self.state_size]

    def _initial_states(self, initial_state, batch):
        if initial_state is None:
            return self.get_initial_state(batch)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != len(self.state_size):
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': `initial_state` must be a list of "
                             f"{len(self.state_size)} state(s), got {len(states)}")
        names = ["h", "c"] if len(states) == 2 else [str(i) for i in range(len(states))]
        return [_check_state(s, (batch, n), self, what) for s, n, what in zip(states, self.state_size, names)]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        args = self._lstm_args
        if args is not None and initial_state is None and mask is None:
            x = sequences if type(sequences) is np.ndarray and sequences.dtype == np.float32 else _float32(sequences)
            try:
                y, h, c = _core.lstm(x, *args)
            except ValueError as e:
                raise ValueError(f"{self.__class__.__name__} layer '{self.name}': {e}") from None
            return (y, h, c) if self.return_state else y
        x = _float32(sequences)
        states = self._initial_states(initial_state, x.shape[0])
        if mask is not None:
            mask = tree.flatten(mask)[0]
            if mask is not None:
                mask = np.asarray(mask, dtype=bool)
                if mask.shape != x.shape[:2]:
                    raise ValueError(f"{self.__class__.__name__} layer '{self.name}': the mask must have shape "
                                     f"(batch, timesteps) = {x.shape[:2]}, got {mask.shape}")
        fused = self.cell._fused_activations if isinstance(self.cell, LSTMCell) else None
        if fused is not None:
            kernel, recurrent_kernel, bias = self.cell._weights_arrays()
            y, h, c = run_kernel(self, _core.lstm, x, kernel, recurrent_kernel, bias, fused[0], fused[1],
                                 self.return_sequences, self.go_backwards, states[0], states[1], mask)
            states = [h, c]
        else:
            y, states = self._step_loop(x, states, mask, training)
        if self.zero_output_for_mask and mask is not None and self.return_sequences:
            steps_mask = mask[:, ::-1] if self.go_backwards else mask
            y = np.where(steps_mask[:, :, None], y, np.float32(0))
        if self.return_state:
            return (y, *states)
        return y

    def _step_loop(self, x, states, mask, training):
        """The sequence one cell call at a time (cells without a compiled kernel)."""
        batch, steps = x.shape[:2]
        cell = self.cell
        kwargs = {"training": training} if getattr(cell, "_call_has_training_arg", False) else {}
        call = cell.step if isinstance(cell, LSTMCell) else None
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        output = np.zeros((batch, self._output_size), np.float32)
        for t in order:
            if call is not None:
                h, c = call(x[:, t], *states)
                new_output, new_states = h, [h, c]
            else:
                new_output, new_states = cell.call(x[:, t], list(states), **kwargs)
                new_states = [_float32(s) for s in (new_states if isinstance(new_states, (list, tuple))
                                                    else [new_states])]
                new_output = _float32(new_output)
            if mask is not None:
                keep = mask[:, t:t + 1]
                # A masked step keeps the states and repeats the previous output (the first state).
                new_output = np.where(keep, new_output, states[0])
                new_states = [np.where(keep, n, o) for n, o in zip(new_states, states)]
            output, states = new_output, new_states
            if self.return_sequences:
                outputs.append(output)
        if self.return_sequences:
            y = np.stack(outputs, axis=1) if outputs else np.zeros((batch, 0, self._output_size), np.float32)
        else:
            y = output
        return y, states

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return super().from_config({**config, "cell": cell})


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


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the same sequence and merges the
    two outputs ('concat', 'sum', 'mul', 'ave', or None for both). As in Keras 3 the sublayers are
    `forward_<name>` and `backward_<name>`, and with return_sequences they output zeros at masked steps
    (zero_output_for_mask) so that the merged sequence is zero there; with return_state the states are
    (forward h, c, backward h, c)."""

    _plan_trusted = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):

        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` needs to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             "one of {'sum', 'mul', 'ave', 'concat', None}")
        if weights is not None:  # Keras 1/2: all weights, forward then backward, set once built
            kwargs["weights"] = weights
        super().__init__(**kwargs)

        def copy(go_backwards, prefix):
            # A fresh layer from the given one's config, so no state or weights are shared.
            config = serialize_layer(layer)
            config.pop("build_config", None)
            config["config"] = {**config["config"], "name": prefix + layer.name.removeprefix(prefix)}
            if go_backwards:
                config["config"]["go_backwards"] = not config["config"].get("go_backwards", False)
            return deserialize(config)

        self.forward_layer = copy(False, "forward_")
        self.backward_layer = copy(True, "backward_") if backward_layer is None else backward_layer
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError("Bidirectional: forward layer and backward layer should have different `go_backwards` "
                             f"value. Received: forward_layer.go_backwards={forward.go_backwards}, "
                             f"backward_layer.go_backwards={backward.go_backwards}")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(f"Bidirectional: forward layer and backward layer are expected to have the same "
                                 f'value for attribute "{attribute}", got "{getattr(forward, attribute)}" for '
                                 f'forward layer and "{getattr(backward, attribute)}" for backward layer')
        for sublayer in (forward, backward):
            if getattr(sublayer, "zero_output_for_mask", None) is not None:
                sublayer.zero_output_for_mask = sublayer.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def build(self, sequences_shape, initial_state_shape=None):
        for sublayer in (self.forward_layer, self.backward_layer):
            if not sublayer.built:
                sublayer.build(sequences_shape)
                _nest_paths(self, sublayer.weights)
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (output_shape[-1] * 2,)
        outputs = (output_shape, output_shape) if self.merge_mode is None else (output_shape,)
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs if self.merge_mode is None else output_shape

    def compute_mask(self, inputs, mask):
        mask = tree.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            masks += [None] * (2 * len(self.forward_layer.state_size))
        return masks if len(masks) > 1 else masks[0]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        kwargs = {}
        if self.forward_layer._call_has_mask_arg:
            kwargs["mask"] = mask
        if self.forward_layer._call_has_training_arg:
            kwargs["training"] = training
        y = self.forward_layer.call(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer.call(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]  # back to input order
        if self.merge_mode == "concat":
            output = (np.concatenate([y, y_rev], axis=-1),)
        elif self.merge_mode == "sum":
            output = (y + y_rev,)
        elif self.merge_mode == "ave":
            output = ((y + y_rev) / np.float32(2),)
        elif self.merge_mode == "mul":
            output = (y * y_rev,)
        else:
            output = (y, np.ascontiguousarray(y_rev))
        if self.return_state or self.merge_mode is None:
            return output + states
        return output[0]

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer), "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"], custom_objects=custom_objects)
        return Layer.from_config.__func__(cls, config)
