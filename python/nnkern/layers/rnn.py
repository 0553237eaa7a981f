"""Keras 3's RNN layer: any cell run over the time axis of (batch, timesteps, features), and the cell
protocol (see RNN). Recurrent layers (LSTM in lstm.py) are RNNs over their cell; Bidirectional is in
bidirectional.py.

StackedRNNCells (also made from a list of cells) runs several cells one after the other at each step. With
return_state the final states follow the output as Keras 3 returns them: one entry per cell of a stack, a
list [h, c] for an LSTMCell (RNN.state_structure); initial_state may be given nested the same way, or flat.

Inference only: `stateful=True` is refused. An input mask (Masking, Embedding with mask_zero=True) makes
a masked step carry the states over and output the carried first state, as Keras's default
(zero_output_for_mask=False) does; the output mask is the input mask when return_sequences.
"""
import numpy as np

from nnkern.engine import tree
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer, is_default
from nnkern.engine.registry import deserialize, serialize_layer
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.legacy import translate_sequence_input_kwargs

__all__ = ["RNN", "StackedRNNCells", "split_keras2_initial_state"]


def float32_array(x):
    """x (an array, array-like or Variable) as a float32 numpy array, not copied if it is one already."""
    x = getattr(x, "value", x)  # a Variable
    return x if isinstance(x, np.ndarray) and x.dtype == np.float32 else np.asarray(x, dtype=np.float32)


def nest_weight_paths(layer, weights):
    """Keras 3's variable paths for weights a sublayer created (lstm/lstm_cell/kernel,
    bidirectional/forward_lstm/lstm_cell/kernel): `layer`'s name in front, unless name scopes already put
    it there."""
    for w in weights:
        if f"/{layer.name}/" not in f"/{w.path}":
            w.path = f"{layer.name}/{w.path}"


def _check_state(state, shape, layer, what):
    state = float32_array(state)
    if state.shape != shape:
        raise ValueError(f"{layer.__class__.__name__} layer '{layer.name}': initial state {what} must have shape "
                         f"{shape} (batch, state size), got {state.shape}")
    return state


def split_keras2_initial_state(args, kwargs):
    """Keras 2 passed initial states after the sequence in one list (a `.h5` file's graph has
    `layer([x, h, ...])`): (args, kwargs) with them moved to `initial_state`, as Keras 2's RNN did."""
    if args and isinstance(args[0], (list, tuple)) and len(args[0]) > 1 and kwargs.get("initial_state") is None:
        sequences, *states = args[0]
        return (sequences, *args[1:]), {**kwargs, "initial_state": states}
    return args, kwargs


class RNN(Layer):
    """Runs a cell over the time axis of (batch, timesteps, features), Keras 3's RNN layer.

    The cell protocol: any layer (or object) with `state_size` (an int or a list of ints) and
    `call(inputs, states) -> (output, new_states)`, run one step at a time. A cell may also offer
    `sequence_kernel() -> (fn, weight_args)` to run the whole sequence in one compiled call
    `fn(x, *weight_args, return_sequences, go_backwards, *initial_states, mask) -> (output, *states)`
    (None states start from zeros), or None when it cannot (LSTMCell: `_core.lstm`, unless an activation is
    a user callable). A masked step keeps every state and outputs the previous output (the first state), as
    Keras does with zero_output_for_mask=False."""

    _plan_trusted = True
    _sequence_call = None  # (fn, args after x) of call(x)'s compiled call once built (see _fused_sequence_call)

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        cls = self.__class__.__name__
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
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
        # Flat: StackedRNNCells's states are one list here, the cells' states in order.
        self.state_size = [int(sizes)] if isinstance(sizes, (int, np.integer)) else \
            [int(n) for n in tree.flatten(sizes)]
        self.single_state = isinstance(sizes, (int, np.integer))
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    @property
    def state_structure(self):
        """The structure the states come out in with return_state (after the output), as Keras 3 returns
        them: one per state of a cell (LSTMCell: h, c), one per cell of a StackedRNNCells (a list for a cell
        with several states: [h, c]). Leaves are sizes."""
        sizes = self.cell.state_size
        return [sizes] if isinstance(sizes, (int, np.integer)) else list(sizes)

    def nest_states(self, flat):
        """The flat states (or their shapes) in state_structure, as a tuple to follow the output."""
        return tuple(tree.pack_sequence_as(self.state_structure, list(flat)))

    @property
    def _output_size(self):
        return int(getattr(self.cell, "output_size", None) or self.state_size[0])

    def __call__(self, *args, **kwargs):
        args, kwargs = split_keras2_initial_state(args, kwargs)
        return super().__call__(*args, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        cell = self.cell
        if isinstance(cell, Layer) and not cell.built:
            step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
            if is_default(cell.build):
                cell.built = True
            else:
                cell.build(step_shape)
        if isinstance(cell, Layer):  # also a cell built before (deserialized with its build_config)
            nest_weight_paths(self, cell.weights)
        object.__setattr__(self, "_sequence_call", self._fused_sequence_call())
        self.built = True

    def _sequence_kernel(self):
        """The cell's (fn, weight_args) for a whole sequence (see the class docstring), or None."""
        sequence_kernel = getattr(self.cell, "sequence_kernel", None)
        return None if sequence_kernel is None else sequence_kernel()

    def runs_in_kernels(self):
        """True when call() runs the sequence in compiled kernel calls (which release the GIL), not cell by cell
        in Python."""
        return self._sequence_kernel() is not None

    def _fused_sequence_call(self):
        """(fn, arguments after x) of call(x)'s compiled call when there is no initial state and no mask, fixed
        once built; None unless the cell has a sequence kernel and the initial states are its zeros. The
        weight arrays are the variables' own buffers, which assign() updates in place; data, not a closure,
        so that copies and pickles of the layer use their own weights."""
        if type(self).get_initial_state is not RNN.get_initial_state or not getattr(self.cell, "built", True):
            return None
        kernel = self._sequence_kernel()
        if kernel is None:
            return None
        fn, weights = kernel
        return fn, (*weights, self.return_sequences, self.go_backwards, *[None] * len(self.state_size), None)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        units = self._output_size
        output = (batch, steps, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return (output,) + self.nest_states((batch, n) for n in self.state_size)
        return output

    def compute_mask(self, inputs, mask):
        mask = tree.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, *self.nest_states(None for _ in self.state_size)]
        return output_mask

    def get_initial_state(self, batch_size):
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            return [float32_array(s) for s in tree.flatten(make(batch_size=batch_size))]
        return [np.zeros((batch_size, n), np.float32) for n in self.state_size]

    def _initial_states(self, initial_state, batch):
        if initial_state is None:
            return self.get_initial_state(batch)
        states = tree.flatten(initial_state)
        if len(states) != len(self.state_size):
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': `initial_state` must be a list of "
                             f"{len(self.state_size)} state(s), got {len(states)}")
        names = {1: ["h"], 2: ["h", "c"]}.get(len(states), [str(i) for i in range(len(states))])
        return [_check_state(s, (batch, n), self, what) for s, n, what in zip(states, self.state_size, names)]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fused = self._sequence_call
        if fused is not None and initial_state is None and mask is None:
            x = sequences if type(sequences) is np.ndarray and sequences.dtype == np.float32 else \
                float32_array(sequences)
            try:  # run_kernel inlined: this is the per-call path
                out = fused[0](x, *fused[1])
            except ValueError as e:
                raise ValueError(f"{self.__class__.__name__} layer '{self.name}': {e}") from None
            return (out[0], *self.nest_states(out[1:])) if self.return_state else out[0]
        x = float32_array(sequences)
        states = self._initial_states(initial_state, x.shape[0])
        if mask is not None:
            mask = tree.flatten(mask)[0]
            if mask is not None:
                mask = np.asarray(mask, dtype=bool)
                if mask.shape != x.shape[:2]:
                    raise ValueError(f"{self.__class__.__name__} layer '{self.name}': the mask must have shape "
                                     f"(batch, timesteps) = {x.shape[:2]}, got {mask.shape}")
        kernel = self._sequence_kernel()
        if kernel is not None:
            fn, weights = kernel
            y, *states = run_kernel(self, fn, x, *weights, self.return_sequences, self.go_backwards, *states, mask)
        else:
            y, states = self._step_loop(x, states, mask, training)
        if self.zero_output_for_mask and mask is not None and self.return_sequences:
            steps_mask = mask[:, ::-1] if self.go_backwards else mask
            y = np.where(steps_mask[:, :, None], y, np.float32(0))
        if self.return_state:
            return (y, *self.nest_states(states))
        return y

    def _step_loop(self, x, states, mask, training):
        """The sequence one cell call at a time (cells without a compiled kernel)."""
        batch, steps = x.shape[:2]
        cell = self.cell
        kwargs = {"training": training} if getattr(cell, "_call_has_training_arg", False) else {}
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        output = np.zeros((batch, self._output_size), np.float32)
        for t in order:
            new_output, new_states = cell.call(x[:, t], list(states), **kwargs)
            new_states = [float32_array(s) for s in tree.flatten(new_states)]
            new_output = float32_array(new_output)
            if mask is not None:
                keep = mask[:, t:t + 1]
                # A masked step keeps the states and repeats the previous output: the first state (of the last
                # cell of a stack), as Keras does.
                new_output = np.where(keep, new_output, states[getattr(cell, "output_state_index", 0)])
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


def _state_count(cell):
    sizes = cell.state_size
    return 1 if isinstance(sizes, (int, np.integer)) else len(tree.flatten(sizes))


def run_stacked_sequence(x, cell_kernels, return_sequences, go_backwards, *states_and_mask):
    """StackedRNNCells's whole sequence from its cells' compiled calls, one cell over the whole sequence after
    the other (the same numbers as cell after cell at each step: a masked step is masked for every cell).
    cell_kernels: ((fn, weight_args, state count), ...); then the cells' initial states in order (None for
    zeros) and the mask. Returns (output, *states). After a go_backwards first cell the sequence is in
    processing order, so the next cells run forwards over it with the mask reversed."""
    *states, mask = states_and_mask
    reversed_mask = None if mask is None or not go_backwards else np.ascontiguousarray(mask[:, ::-1])
    final_states, first_state = [], 0
    for index, (fn, weights, count) in enumerate(cell_kernels):
        first, last = index == 0, index == len(cell_kernels) - 1
        cell_states = states[first_state:first_state + count]
        first_state += count
        x, *new_states = fn(x, *weights, return_sequences or not last, go_backwards and first, *cell_states,
                            mask if first else reversed_mask if go_backwards else mask)
        final_states += new_states
    return (x, *final_states)


class StackedRNNCells(Layer):
    """Cells run one after the other at each step, Keras 3's StackedRNNCells: the output of one is the input
    of the next; the states are all cells' states. Here `call` takes and returns them flat (the cells' states
    in order), as the RNN layer keeps them."""

    _plan_trusted = True

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: {cell}")
            if getattr(cell, "state_size", None) is None:
                raise ValueError("All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return tree.flatten(last.state_size)[0]

    @property
    def output_state_index(self):
        """Where the last cell's first state (its previous output) is in the flat states."""
        return sum(_state_count(cell) for cell in self.cells[:-1])

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                if is_default(cell.build):
                    cell.built = True
                else:
                    cell.build(input_shape)
            if isinstance(cell, Layer):
                nest_weight_paths(self, cell.weights)
            output_dim = getattr(cell, "output_size", None) or tree.flatten(cell.state_size)[0]
            input_shape = (input_shape[0], output_dim)
        self.built = True

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            make = getattr(cell, "get_initial_state", None)
            if make is not None:
                states += tree.flatten(make(batch_size=batch_size))
            else:
                states += [np.zeros((batch_size, n), np.float32) for n in tree.flatten(cell.state_size)]
        return states

    def sequence_kernel(self):
        """(run_stacked_sequence, its weight arguments) when every cell has a compiled sequence kernel, else None."""
        kernels = []
        for cell in self.cells:
            kernel = getattr(cell, "sequence_kernel", None)
            kernel = None if kernel is None else kernel()
            if kernel is None:
                return None
            kernels.append((kernel[0], kernel[1], _state_count(cell)))
        return run_stacked_sequence, (tuple(kernels),)

    def call(self, inputs, states, training=None):
        states, new_states, first = tree.flatten(states), [], 0
        for cell in self.cells:
            count = _state_count(cell)
            cell_states = states[first:first + count]
            first += count
            kwargs = {"training": training} if getattr(cell, "_call_has_training_arg", False) else {}
            inputs, cell_states = cell.call(inputs, list(cell_states), **kwargs)
            new_states += tree.flatten(cell_states)
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
