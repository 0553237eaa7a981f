"""ConvLSTM2DCell and ConvLSTM2D (an RNN over the cell), as Keras 3's ConvLSTMCell / ConvLSTM2D, channels_last.

The LSTM's products are convolutions: the input's with the layer's strides, padding and dilation, the
state's with stride 1 and 'same' padding (so the state keeps the input convolution's output size). Both run
on the compiled `_core.conv2d`; the input convolutions of every step are one call over (batch * steps)
images. Weights belong to the cell (`conv_lstm2d/conv_lstm_cell/kernel`, `.../recurrent_kernel`,
`.../bias`; gates i, f, c, o along the last axis). Inference only: dropout / recurrent_dropout are accepted
and are the identity. Masks and initial states as in rnn.py, with (batch, rows, cols, filters) states.
"""
import numpy as np

from nnkern import _core, activations, initializers
from nnkern.engine import tree
from nnkern.engine.argument_validation import (channels_last_only, conv_output_length, standardize_padding,
                                               standardize_window)
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.recurrent_base import (RecurrentLayer, dropout_rate, set_weight_arguments,
                                          weight_arguments_config)
from nnkern.layers.rnn import float32_array, nest_weight_paths

__all__ = ["ConvLSTM2DCell", "ConvLSTM2D"]


class ConvLSTM2DCell(Layer):
    """One ConvLSTM step: (h, [h, c]) from inputs (batch, rows, cols, channels) and states [h, c]
    (batch, out_rows, out_cols, filters)."""

    _plan_trusted = True
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        cls = self.__class__.__name__
        super().__init__(**kwargs)
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{cls}: invalid value for argument `filters`. Expected a strictly positive integer. "
                             f"Received filters={filters}")
        self.filters = int(filters)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        set_weight_arguments(self, (kernel_initializer, recurrent_initializer, bias_initializer),
                             (kernel_regularizer, recurrent_regularizer, bias_regularizer),
                             (kernel_constraint, recurrent_constraint, bias_constraint))
        self.unit_forget_bias = bool(unit_forget_bias)
        self.dropout = dropout_rate(dropout, "dropout", cls)
        self.recurrent_dropout = dropout_rate(recurrent_dropout, "recurrent_dropout", cls)
        self.seed = seed
        self.state_size = [self.filters, self.filters]  # channels of h and c; their shapes: state_shape()
        self.kernel_size, self.strides, self.dilation_rate = standardize_window(
            cls, self.rank, kernel_size, strides, dilation_rate, zero_strides=True)
        if 0 in self.strides:
            raise ValueError(f"{cls}: the argument `strides` cannot contain 0(s). Received: {self.strides}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls}: specifying `strides > 1` is not compatible with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.padding = standardize_padding(padding, cls)
        self.data_format = channels_last_only(data_format, cls)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.spatial_dims = None

    def build(self, input_shape):
        name = f"{self.__class__.__name__} layer '{self.name}'"
        self.spatial_dims = tuple(input_shape[1:-1])
        if None in self.spatial_dims:
            raise ValueError(f"{name}: ConvLSTM layers only support static input shapes for the spatial dimension. "
                             f"Received invalid input shape: input_shape={tuple(input_shape)}")
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{name}: the channel dimension of the inputs (last axis) should be defined. Found "
                             f"None. Full input shape received: input_shape={tuple(input_shape)}")
        self.output_spatial_dims(input_shape)  # Keras's error for a window that does not fit
        f4 = 4 * self.filters
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, f4), name="kernel",
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=self.kernel_size + (self.filters, f4), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(f4,), name="bias", initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer

        def bias_initializer(shape, dtype=None, base=self.bias_initializer, units=self.filters):
            # The forget gate's bias starts at 1 (Jozefowicz et al.), the others from the initializer.
            part = initializers.call_initializer
            return np.concatenate([part(base, (units,), dtype), np.ones((units,), dtype),
                                   part(base, (2 * units,), dtype)])
        return bias_initializer

    def output_spatial_dims(self, input_shape):
        """The input convolution's (rows, cols) for an input of `input_shape` (the states' spatial shape)."""
        dims = tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
                     zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate))
        if any(d is not None and d <= 0 for d in dims):
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': computed output size would be zero "
                             f"or negative. Received input shape {tuple(input_shape)}, "
                             f"kernel_size={self.kernel_size}, strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}, padding={self.padding!r}.")
        return dims

    def state_shape(self, batch_size):
        return (batch_size,) + self.output_spatial_dims((None,) + self.spatial_dims + (None,)) + (self.filters,)

    def input_convolution(self, x):
        """The input's part of the four gates, (batch, out_rows, out_cols, 4 * filters), bias included."""
        return run_kernel(self, _core.conv2d, x, self.kernel.value, None if self.bias is None else self.bias.value,
                          self.strides, self.padding, self.dilation_rate)

    def recurrent_step(self, z_input, h, c):
        """(h, c) after one step, from the step's input_convolution and the states."""
        z = run_kernel(self, _core.conv2d, h, self.recurrent_kernel.value, padding="same")
        z += z_input
        f = self.filters
        gate, act = self.recurrent_activation, self.activation
        i, forget = float32_array(gate(z[..., :f])), float32_array(gate(z[..., f:2 * f]))
        g, o = float32_array(act(z[..., 2 * f:3 * f])), float32_array(gate(z[..., 3 * f:]))
        c = forget * c + i * g
        return o * float32_array(act(c)), c

    def call(self, inputs, states, training=None):
        x = float32_array(inputs)
        if not isinstance(states, (list, tuple)) or len(states) != 2:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': `states` must be a list [h, c]. "
                             f"Received: {states!r}")
        h, c = (float32_array(s) for s in states)
        h, c = self.recurrent_step(self.input_convolution(x), h, c)
        return h, [h, c]

    def compute_output_shape(self, input_shape, states_shape=None):
        shape = (input_shape[0],) + self.output_spatial_dims(input_shape) + (self.filters,)
        return shape, [shape, shape]

    def get_initial_state(self, batch_size=None):
        return [np.zeros(self.state_shape(batch_size), np.float32) for _ in range(2)]

    def get_config(self):
        return {**super().get_config(),
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                **weight_arguments_config(self, self.unit_forget_bias),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


# ConvLSTM2D reads these hyper-parameters through from its cell, as Keras's ConvLSTM properties do.
_CONV_LSTM_CELL_ATTRIBUTES = frozenset(("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                              "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                              "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
                              "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"))


class ConvLSTM2D(RecurrentLayer):
    """Convolutional LSTM over (batch, timesteps, rows, cols, channels), Keras 3 semantics (see the module
    docstring). Returns the last h (batch, out_rows, out_cols, filters), or every h with
    return_sequences; with return_state also the final h and c."""

    _cell_attributes = _CONV_LSTM_CELL_ATTRIBUTES

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        cls = self.__class__.__name__
        try:
            cell = ConvLSTM2DCell(
                filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                dilation_rate=dilation_rate, activation=activation, recurrent_activation=recurrent_activation,
                use_bias=use_bias, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        except ValueError as e:
            raise ValueError(str(e).replace("ConvLSTM2DCell", cls)) from None
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.input_spec = InputSpec(ndim=5)

    def build(self, sequences_shape, initial_state_shape=None):
        cell = self.cell
        if not cell.built:
            try:
                cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            except ValueError as e:  # name this layer, not its cell
                raise ValueError(str(e).replace(f"{type(cell).__name__} layer '{cell.name}'",
                                                f"{type(self).__name__} layer '{self.name}'")) from None
            nest_weight_paths(self, self.cell.weights)
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state = (batch,) + self.cell.output_spatial_dims((batch,) + tuple(sequences_shape[2:])) + (self.filters,)
        output = (batch, steps) + state[1:] if self.return_sequences else state
        return (output, state, state) if self.return_state else output

    def _initial_states(self, initial_state, batch):
        shape = self.cell.state_shape(batch)
        if initial_state is None:
            return self.cell.get_initial_state(batch)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != 2:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': `initial_state` must be a list of 2 "
                             f"states [h, c], got {len(states)}")
        checked = []
        for what, state in zip("hc", states):
            state = float32_array(state)
            if state.shape != shape:
                raise ValueError(f"{self.__class__.__name__} layer '{self.name}': initial state {what} must have "
                                 f"shape {shape} (batch, rows, cols, filters), got {state.shape}")
            checked.append(state)
        return checked

    def call(self, sequences, initial_state=None, mask=None, training=None):
        x = float32_array(sequences)
        batch, steps = x.shape[:2]
        h, c = self._initial_states(initial_state, batch)
        if mask is not None:
            mask = tree.flatten(mask)[0]
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (batch, steps):
                raise ValueError(f"{self.__class__.__name__} layer '{self.name}': the mask must have shape "
                                 f"(batch, timesteps) = {(batch, steps)}, got {mask.shape}")
        cell = self.cell
        # Every step's input convolution in one call, over (batch * steps) images.
        z_inputs = cell.input_convolution(x.reshape((batch * steps,) + x.shape[2:]))
        z_inputs = z_inputs.reshape((batch, steps) + z_inputs.shape[1:])
        outputs = []
        for t in (range(steps - 1, -1, -1) if self.go_backwards else range(steps)):
            new_h, new_c = cell.recurrent_step(z_inputs[:, t], h, c)
            output = new_h
            if mask is not None:  # a masked step keeps the states and repeats the previous output (or zeros)
                keep = mask[:, t].reshape((batch, 1, 1, 1))
                new_h, new_c = np.where(keep, new_h, h), np.where(keep, new_c, c)
                output = np.where(keep, output, np.float32(0)) if self.zero_output_for_mask else new_h
            h, c = new_h, new_c
            outputs.append(output)
        if self.return_sequences:
            y = np.stack(outputs, axis=1) if outputs else np.zeros((batch, 0) + h.shape[1:], np.float32)
        else:
            y = h
        return (y, h, c) if self.return_state else y
