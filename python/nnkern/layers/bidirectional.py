"""Bidirectional: a recurrent layer run forwards and a copy of it backwards, outputs merged (Keras 3)."""
import numpy as np

from nnkern import _config, _core
from nnkern.engine import tree
from nnkern.engine.layer import Layer
from nnkern.engine.registry import deserialize, serialize_layer
from nnkern.layers.rnn import RNN, nest_weight_paths, split_keras2_initial_state

__all__ = ["Bidirectional"]


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)

# Below this much work per direction (2 * batch * steps * the sublayer's weights, in flops) the two directions
# run one after the other. Handing one to the worker thread and back measured 73-87 us (two empty calls,
# bench/bidir_threads.py --scan, a 2-core machine loaded ~4x by other jobs), about one direction's time at
# ~4 MFLOP for a batch-1 LSTM(64): the kernels' own threshold for a second thread (kMinParallelFlops) is used.
MIN_CONCURRENT_FLOPS = 4.0e6


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the same sequence and merges the
    two outputs ('concat', 'sum', 'mul', 'ave', or None for both). As in Keras 3 the sublayers are
    `forward_<name>` and `backward_<name>`, and with return_sequences they output zeros at masked steps
    (zero_output_for_mask) so that the merged sequence is zero there; with return_state the states are
    the forward layer's then the backward layer's, each in the structure the layer returns them in (forward
    h, c, backward h, c for LSTMs)."""

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

    def __call__(self, *args, **kwargs):
        args, kwargs = split_keras2_initial_state(args, kwargs)
        return super().__call__(*args, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        for sublayer in (self.forward_layer, self.backward_layer):
            if not sublayer.built:
                sublayer.build(sequences_shape)
            nest_weight_paths(self, sublayer.weights)  # also a sublayer built before (from a file's config)
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
            layer = self.forward_layer
            states = [None] * len(layer.state_size)
            states = layer.nest_states(states) if hasattr(layer, "nest_states") else states
            masks += [*states, *states]
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

        def forward():
            return self.forward_layer.call(sequences, initial_state=forward_state, **kwargs)

        def backward():
            return self.backward_layer.call(sequences, initial_state=backward_state, **kwargs)

        if self._directions_concurrently(sequences):
            y, y_rev = _config.run_pair(forward, backward)
        else:
            y, y_rev = forward(), backward()
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

    def _directions_concurrently(self, sequences):
        """Whether to run the two directions at the same time, on two threads (their kernels then on half the
        threads each; the results are bitwise the same): both must run in compiled kernels, which release the
        GIL, and one direction's work must pay for the hand-off and be worth two threads by the kernels' rule."""
        sublayers = (self.forward_layer, self.backward_layer)
        if not all(isinstance(sublayer, RNN) and sublayer.runs_in_kernels() for sublayer in sublayers):
            return False
        shape = np.shape(sequences)
        flops = 2.0 * shape[0] * shape[1] * sum(int(np.prod(w.shape)) for w in self.forward_layer.weights)
        return flops >= MIN_CONCURRENT_FLOPS and _core.threads_for_work(flops) >= 2

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
