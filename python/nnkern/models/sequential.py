"""Sequential: a plain stack of single-input, single-output layers, run as a Functional model."""
import inspect

import numpy as np

from nnkern.engine import tree
from nnkern.engine.input_layer import InputLayer, standardize_shape
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.registry import deserialize, serialize_layer
from nnkern.models.functional import Functional
from nnkern.models.model import Model


class Sequential(Model):
    """`Sequential([layers])` or `.add(layer)`; give the input shape with an `Input`/`InputLayer` first or
    `input_shape=` / `input_dim=` on the first layer, or let the first predict() build it from the data."""

    def __init__(self, layers=None, trainable=True, name=None):
        Model.__init__(self, trainable=trainable, name=name)
        self._reset_graph()
        if layers:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        if not self._layers:
            if getattr(layer, "_batch_input_shape", None) is not None and not isinstance(layer, InputLayer):
                self.add(InputLayer(batch_shape=layer._batch_input_shape), rebuild=False)
        if isinstance(layer, KerasTensor) and hasattr(layer, "_keras_history"):
            origin = layer._keras_history[0]
            if isinstance(origin, InputLayer):
                layer = origin
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential model. "
                             f"Received: {layer} (of type {type(layer)})")
        for ref in self._layers:
            if ref.name == layer.name and ref is not layer:
                raise ValueError("All layers added to a Sequential model should have unique names. Name "
                                 f"'{layer.name}' is already the name of a layer in this model. Update the "
                                 "`name` argument to pass a unique name.")
        if isinstance(layer, InputLayer) and self._layers and isinstance(self._layers[0], InputLayer):
            raise ValueError(f"Sequential model '{self.name}' has already been configured to use input shape "
                             f"{self._layers[0].batch_shape}. You cannot add a different Input layer to it.")
        self._layers.append(layer)
        if rebuild and self.__dict__.get("_graph_output") is not None:
            # build() extends the graph by the new layer only: adding n layers costs O(n), not O(n^2).
            try:
                self.build(self._layers[0].batch_shape)
            except Exception:
                self.built = False  # as a failed full rebuild leaves it
                self._reset_graph()
                raise
        elif rebuild:
            self._maybe_rebuild()
        else:
            self.built = False
            self._reset_graph()

    def pop(self, rebuild=True):
        layer = self._layers.pop()
        self.built = False
        self._reset_graph()
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _reset_graph(self):
        object.__setattr__(self, "_graph", None)  # the Functional model over the layers, made on demand
        object.__setattr__(self, "_graph_output", None)  # the output of the layers called so far
        object.__setattr__(self, "_graph_length", 0)  # how many of self._layers (with the input) that is

    @property
    def _functional(self):
        graph = self.__dict__["_graph"]
        if graph is None and self.__dict__["_graph_output"] is not None:
            graph = Functional(inputs=self._layers[0].output, outputs=self.__dict__["_graph_output"])
            object.__setattr__(self, "_graph", graph)
        return graph

    def _maybe_rebuild(self):
        self.built = False
        self._reset_graph()
        if self._layers and isinstance(self._layers[0], InputLayer) and len(self._layers) > 1:
            self.build(self._layers[0].batch_shape)

    def build(self, input_shape=None):
        try:
            input_shape = standardize_shape(input_shape)
        except (ValueError, TypeError):
            return
        if not self._layers:
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no layers. "
                             "Call `model.add(layer)`.")
        if isinstance(self._layers[0], InputLayer):
            if self._layers[0].batch_shape != input_shape:
                raise ValueError(f"Sequential model '{self.name}' has already been configured to use input "
                                 f"shape {self._layers[0].batch_shape}. You cannot build it with input_shape "
                                 f"{input_shape}")
        else:
            dtype = self._layers[0].compute_dtype
            self._layers.insert(0, InputLayer(batch_shape=input_shape, dtype=dtype))
        x, start = self.__dict__.get("_graph_output"), self.__dict__.get("_graph_length", 0)
        if x is None:
            x, start = self._layers[0].output, 1
        for layer in self._layers[start:]:  # only the layers added since the last build
            x = _call_in_sequence(layer, x)
        if start < len(self._layers):
            object.__setattr__(self, "_graph", None)
        object.__setattr__(self, "_graph_output", x)
        object.__setattr__(self, "_graph_length", len(self._layers))
        self.built = True

    # ------------------------------------------------------------------ views
    @property
    def layers(self):
        layers = self._layers
        if layers and isinstance(layers[0], InputLayer):
            return layers[1:]
        return layers[:]

    def _require_functional(self, what):
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        return self._functional

    @property
    def inputs(self):
        return self._require_functional("inputs").inputs

    @property
    def outputs(self):
        return self._require_functional("outputs").outputs

    @property
    def input(self):
        return self._require_functional("input").input

    @property
    def output(self):
        return self._require_functional("output").output

    @property
    def input_shape(self):
        return self._require_functional("input shape").input_shape

    @property
    def output_shape(self):
        return self._require_functional("output shape").output_shape

    @property
    def input_dtype(self):
        if self._layers and isinstance(self._layers[0], InputLayer):
            return self._layers[0].dtype
        return super().input_dtype

    @property
    def _nodes_by_depth(self):
        return self._require_functional("graph")._nodes_by_depth

    def _output_names(self):
        return self._functional._output_names() if self._functional is not None else ["output_0"]

    # ------------------------------------------------------------------ running
    def _ensure_built_for(self, x):
        if self._functional is None:
            first = tree.flatten(x)[0]
            shape = np.shape(first)
            self.build(tuple(shape))
        if self._functional is None:
            raise ValueError(f"Sequential model '{self.name}' could not be built from input shape "
                             f"{np.shape(tree.flatten(x)[0])}.")
        return self._functional

    def call(self, inputs, training=None, mask=None):
        return self._ensure_built_for(inputs).call(inputs, training=training, mask=mask)

    def compute_output_spec(self, inputs, training=None, mask=None):
        return self._require_functional("output spec").compute_output_spec(inputs)

    def compute_output_shape(self, input_shape):
        if self._functional is not None:
            return self._functional.compute_output_shape(input_shape)
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return self._require_functional("mask").compute_mask(inputs, mask)

    def _get_plan(self, training=None, input_mask_flags=None):
        return self._require_functional("plan")._get_plan(training, input_mask_flags)

    def _run_flat(self, flat_inputs, flat_masks=None, training=None):
        return self._require_functional("plan")._run_flat(flat_inputs, flat_masks, training)

    def _set_symbolic_masks(self, first, outputs, previous_mask):
        if self._functional is not None:
            self._functional._set_symbolic_masks(first, outputs, previous_mask)

    def _prepare_inputs(self, x):
        if self._functional is None:
            leaves = tree.flatten(x)
            first = np.asarray(leaves[0] if len(leaves) == 1 else x)
            self.build((min(len(first), 32) if first.ndim else None,) + tuple(first.shape[1:]))
        return self._require_functional("inputs")._standardize_inputs(x)

    def _predict_batch(self, flat_inputs):
        return self._functional._predict_batch(flat_inputs)

    def _array_predictor(self):
        graph = self.__dict__["_graph"] or self._functional  # predict's hot path: the property only when stale
        return None if graph is None else graph._array_predictor()

    def _pack_outputs(self, flat):
        return self._functional._pack(flat)

    # ------------------------------------------------------------------ config
    def get_config(self):
        from nnkern.models.serialization import copy_config
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": Layer.get_config(self)["dtype"],
                  "layers": [serialize_layer(layer) for layer in self._layers]}
        if self._functional is not None:
            config["build_input_shape"] = self._layers[0].batch_shape
        return copy_config(config)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config["name"])
        for layer_config in config["layers"]:  # each add() extends the graph by one call
            model.add(deserialize(layer_config, custom_objects=custom_objects))
        if model._functional is None and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model


def _call_in_sequence(layer, x):
    """layer(x) for the next layer of a Sequential; Keras's error for a layer needing several inputs."""
    try:
        return layer(x)
    except TypeError as e:
        params = [p for p in inspect.signature(layer.call).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [p for p in params if p.default is p.empty]
        if len(required) > 1:
            raise ValueError("Layers added to a Sequential model can only have a single required positional "
                             f"argument, the input tensor. Layer {layer.__class__.__name__} has multiple "
                             f"required positional arguments: {required}") from e
        raise
