"""Functional models: a graph of layer calls from Input tensors to output tensors, run through a
compiled flat plan (nnkern.engine.plan, imported on the first prediction)."""
import warnings

import numpy as np

from nnkern.engine import tree
from nnkern.engine.dtypes import check_data_dtype, numpy_dtype
from nnkern.engine.graph import execution_order, make_node_key, map_graph
from nnkern.engine.input_layer import InputLayer
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.models.model import Model


def unpack_singleton(x):
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


class Functional(Model):
    """`Model(inputs, outputs)`: inputs/outputs may be a tensor, a list or a dict of tensors."""

    _plan_trusted = True

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if inputs is None and "input" in kwargs:  # Keras 1: Model(input=..., output=...)
            inputs = kwargs.pop("input")
        if outputs is None and "output" in kwargs:
            outputs = kwargs.pop("output")
        trainable = kwargs.pop("trainable", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to Functional: {kwargs}")
        if isinstance(inputs, dict):
            for k, v in inputs.items():
                if isinstance(v, KerasTensor) and k != v.name:
                    warnings.warn("When providing `inputs` as a dict, all keys in the dict must match the names "
                                  f"of the corresponding tensors. Received key '{k}' mapping to value {v} which "
                                  f"has name '{v.name}'. Change the tensor name to '{k}' (via "
                                  f"`Input(..., name='{k}')`)", stacklevel=2)
        flat_inputs = tree.flatten(inputs)
        flat_outputs = tree.flatten(outputs)
        for what, values, given in (("inputs", flat_inputs, inputs), ("outputs", flat_outputs, outputs)):
            for x in values:
                if not isinstance(x, KerasTensor):
                    raise ValueError(f"All `{what}` values must be KerasTensors. Received: {what}={given} "
                                     f"including invalid value {x} of type {type(x)}")
        if not flat_inputs:
            raise ValueError(f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\noutputs={outputs}")
        if not flat_outputs:
            raise ValueError(f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\noutputs={outputs}")
        Model.__init__(self, name=name, trainable=trainable)
        set_ = object.__setattr__
        set_(self, "_inputs_struct", tree.map_structure(lambda x: x, inputs))
        set_(self, "_outputs_struct", tree.map_structure(lambda x: x, outputs))
        set_(self, "_inputs", flat_inputs)
        set_(self, "_outputs", flat_outputs)
        nodes, nodes_by_depth, operations, operations_by_depth = map_graph(flat_inputs, flat_outputs)
        set_(self, "_nodes", nodes)
        set_(self, "_nodes_by_depth", nodes_by_depth)
        set_(self, "_operations", operations)
        set_(self, "_operations_by_depth", operations_by_depth)
        set_(self, "_execution_nodes", execution_order(nodes_by_depth))
        for op in operations:
            if not getattr(op, "_is_operation", False):
                self._track_layer(op)
        set_(self, "_plans", {})
        set_(self, "_input_np_dtypes", [numpy_dtype(x.dtype) for x in flat_inputs])
        self.supports_masking = True
        self.built = True
        self.output_names = [x._keras_history.operation.name for x in flat_outputs]

    # ------------------------------------------------------------------ graph views
    @property
    def operations(self):
        return self._operations[:]

    @property
    def layers(self):
        return [op for op in self._operations if isinstance(op, Layer) and not getattr(op, "_is_operation", False)]

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        shapes = tree.map_structure(lambda x: x.shape, self._inputs_struct)
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = tree.map_structure(lambda x: x.shape, self._outputs_struct)
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    def _output_names(self):
        if isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct)
        return list(self.output_names)

    # ------------------------------------------------------------------ running
    def _get_plan(self, training=None, input_mask_flags=None):
        key = (training, input_mask_flags)
        plan = self._plans.get(key)
        if plan is None:
            from nnkern.engine.plan import Plan  # here: `import nnkern` need not compile the planner
            plan = self._plans[key] = Plan(self._inputs, self._outputs, self._execution_nodes, training,
                                           input_mask_flags)
        return plan

    def _run_flat(self, flat_inputs, flat_masks=None, training=None):
        flags = None if flat_masks is None else tuple(m is not None for m in flat_masks)
        plan = self._get_plan(training, flags if flags and any(flags) else None)
        return plan.run(flat_inputs, flat_masks, with_masks=True)

    def _standardize_inputs(self, x):
        """Flat list of arrays, one per Input, cast to the Input's dtype, rank-adjusted and checked."""
        struct = self._inputs_struct
        n = len(self._inputs)
        if isinstance(x, dict):
            if isinstance(struct, dict):
                missing = [k for k in struct if k not in x]
                if missing:
                    raise ValueError(f"Missing data for input(s) {missing} of model '{self.name}'. You passed a "
                                     f"data dictionary with keys {list(x)}. Expected the following keys: "
                                     f"{list(struct)}")
                flat = [x[k] for k in sorted(struct)]
            else:
                names = [t.name for t in self._inputs]
                layer_names = [t._keras_history.operation.name for t in self._inputs]
                if all(k in x for k in names):
                    flat = [x[k] for k in names]
                elif all(k in x for k in layer_names):
                    flat = [x[k] for k in layer_names]
                else:
                    unknown = [k for k in x if k not in names and k not in layer_names]
                    raise ValueError(f"Model '{self.name}' was given data for unknown input name(s) {unknown}. "
                                     f"Expected the keys {names} (or the input layer names {layer_names}). "
                                     f"Received: inputs with keys {list(x)}")
        elif n == 1:
            if isinstance(x, (list, tuple)) and len(x) == 1 and hasattr(x[0], "shape"):
                flat = [x[0]]
            elif isinstance(x, (list, tuple)) and len(x) > 1 and all(hasattr(a, "shape") for a in x):
                raise ValueError(f'Layer "{self.name}" expects 1 input(s), but it received {len(x)} input '
                                 "tensors.")
            else:
                flat = [x]
        else:
            if not isinstance(x, (list, tuple)):
                raise ValueError(f'Layer "{self.name}" expects {n} input(s), but it received 1 input tensors.')
            flat = tree.flatten(x) if tree.is_nested(struct) else list(x)
            if len(flat) != n:
                raise ValueError(f'Layer "{self.name}" expects {n} input(s), but it received {len(flat)} input '
                                 "tensors.")
        out = []
        for i, (a, ref, dtype) in enumerate(zip(flat, self._inputs, self._input_np_dtypes)):
            if a is None:
                layer = ref._keras_history.operation
                if isinstance(layer, InputLayer) and getattr(layer, "optional", False):
                    out.append(None)
                    continue
                raise ValueError(f"The input '{ref.name}' is not optional, but None was passed. "
                                 "Please provide a valid tensor.")
            if type(a) is not np.ndarray or a.dtype != dtype:
                a = _cast_input(getattr(a, "value", a) if hasattr(a, "assign") else a, dtype, ref)
            ref_shape = ref.shape
            if a.ndim != len(ref_shape):
                if a.ndim == len(ref_shape) + 1 and a.shape[-1] == 1:
                    a = a[..., 0]
                elif a.ndim == len(ref_shape) - 1 and ref_shape[-1] == 1:
                    a = a[..., None]
                else:
                    raise ValueError(f"Invalid input shape for input {i} with name '{ref.name}' of model "
                                     f"'{self.name}'. Expected shape {ref_shape}, but input has incompatible "
                                     f"shape {a.shape}")
            for want, got in zip(ref_shape[1:], a.shape[1:]):
                if want is not None and want != got:
                    raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the layer: '
                                     f"expected shape={ref_shape}, found shape={a.shape}")
            out.append(a)
        return out

    def _pack(self, flat_outputs):
        return unpack_singleton(tree.pack_sequence_as(self._outputs_struct, flat_outputs))

    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        masks = None if mask is None else tree.flatten(mask)
        if masks is not None and any(m is not None for m in masks):
            outs, _ = self._run_flat(flat, masks, training)
        else:
            outs = self._get_plan(training).run(flat)
        return self._pack(outs)

    def compute_mask(self, inputs, mask=None):
        flat = self._standardize_inputs(inputs)
        masks = None if mask is None else tree.flatten(mask)
        _, out_masks = self._run_flat(flat, masks)
        return unpack_singleton(tree.pack_sequence_as(self._outputs_struct, out_masks))

    # predict() hooks
    def _array_predictor(self):
        fn = self.__dict__.get("_array_predict_fn", False)
        if fn is False:
            fn = _array_predict_fn(self)
            object.__setattr__(self, "_array_predict_fn", fn)
        return fn

    def _prepare_inputs(self, x):
        return self._standardize_inputs(x)

    def _predict_batch(self, flat_inputs):
        return self._get_plan(None).run(flat_inputs)

    def _pack_outputs(self, flat):
        return self._pack(flat)

    # ------------------------------------------------------------------ symbolic use as a layer
    def compute_output_spec(self, inputs, training=None, mask=None):
        flat = tree.flatten(inputs)
        if len(flat) == len(self._inputs) and all(
                tuple(a.shape) == tuple(b.shape) for a, b in zip(flat, self._inputs)):
            outs = [KerasTensor(o.shape, dtype=o.dtype) for o in self._outputs]
        else:
            outs = self._symbolic_run(flat)
        return self._pack(outs)

    def compute_output_shape(self, input_shape):
        flat_shapes = tree.flatten(tree.map_shape_structure(lambda s: [s], input_shape)) \
            if not tree.is_shape_tuple(input_shape) else [tuple(input_shape)]
        fake = [KerasTensor(s, dtype=x.dtype) for s, x in zip(flat_shapes, self._inputs)]
        return tree.map_structure(lambda t: t.shape, self.compute_output_spec(fake))

    def _symbolic_run(self, flat_inputs):
        values = {id(ref): x for ref, x in zip(self._inputs, flat_inputs)}
        for node in self._execution_nodes:
            if node.is_input:
                continue
            filled = tree.map_structure(lambda t: values.get(id(t), t) if isinstance(t, KerasTensor) else t,
                                        (node.call_args, node.call_kwargs))
            args, kwargs = filled
            kwargs = {k: v for k, v in kwargs.items() if k != "training"}
            if not node.operation._call_has_mask_arg:
                kwargs.pop("mask", None)
            out = node.operation.compute_output_spec(*args, **kwargs)
            for ref, o in zip(node.outputs, tree.flatten(out)):
                values[id(ref)] = o
        return [values[id(o)] for o in self._outputs]

    def _set_symbolic_masks(self, first, outputs, previous_mask):
        for out, inner in zip(tree.flatten(outputs), self._outputs):
            if inner._keras_mask is not None and out._keras_mask is None:
                out._keras_mask = KerasTensor(out.shape[:inner._keras_mask.ndim], dtype="bool")

    # ------------------------------------------------------------------ config
    def get_config(self):
        from nnkern.models.serialization import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nnkern.models.serialization import copy_config, functional_from_config
        return functional_from_config(cls, copy_config(config), custom_objects)


def _array_predict_fn(model):
    """predict()'s shortcut for a one-input, one-output model: fn(x, batch_size) -> the output for one numpy
    array that fits in one batch and already has the Input's rank and per-sample shape (cast to the Input's
    dtype as _standardize_inputs does), or None to take the general path. A chain of layers runs as
    `for fn in chain: x = fn(x)`; any other graph through its plan, without predict()'s structure work."""
    if len(model._inputs) != 1 or not isinstance(model._outputs_struct, KerasTensor) and not (
            isinstance(model._outputs_struct, (list, tuple)) and len(model._outputs_struct) == 1):
        return None
    chain = model._get_plan(None).chain
    if chain is None:
        chain = (lambda x: model._get_plan(None).run([x])[0],)
    ref_shape = tuple(model._inputs[0].shape)
    ndim, sample_shape, dtype = len(ref_shape), ref_shape[1:], model._input_np_dtypes[0]
    if None in sample_shape:
        return None  # variable-length inputs take the general path, which checks each known axis

    def predict_array(x, batch_size):
        if x.ndim != ndim or x.shape[1:] != sample_shape or len(x) > batch_size:
            return None
        if x.dtype != dtype:
            x = _cast_input(x, dtype, model._inputs[0])
        for fn in chain:
            x = fn(x)
        return x if type(x) is np.ndarray else np.asarray(x)
    return predict_array


def _cast_input(value, dtype, ref):
    """An input as an array of its Input's dtype; TypeError for complex, datetime, structured, object (and,
    unless the Input holds strings, text) arrays, which would be cast unsafely."""
    array = np.asarray(value)
    check_data_dtype(array, f"Input '{ref.name}'", numeric_only=dtype.kind != "O")
    return np.asarray(array, dtype=dtype)


def is_input_keras_tensor(x):
    op, node_index, _ = x._keras_history
    return op._inbound_nodes[node_index].is_input


__all__ = ["Functional", "make_node_key"]
