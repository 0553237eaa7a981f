"""The Layer base class: Keras 3's contract on numpy arrays.

A layer author writes ``build(input_shape)`` (creating weights with ``add_weight``), ``call(inputs, ...)``
(numpy in, numpy out), and optionally ``compute_output_shape(input_shape)``, ``compute_mask(inputs,
mask)`` and ``get_config()``. ``__call__`` then works two ways: on numpy arrays it builds the layer if
needed and computes at once; on symbolic ``KerasTensor``s it builds, infers the output shapes (from
``compute_output_shape``, or by running ``call`` on zero arrays) and records a ``Node`` in the graph.
"""
import functools
import inspect
import threading
import warnings

import numpy as np

from nnkern.engine import tree
from nnkern.engine.dtypes import DTypePolicy, check_data_dtype, serialize_policy, standardize_dtype
from nnkern.engine.input_spec import assert_input_compatibility
from nnkern.engine.keras_tensor import KerasTensor, any_symbolic, get_mask
from nnkern.engine.naming import auto_name
from nnkern.engine.node import Node
from nnkern.engine.spec_inference import run_for_spec
from nnkern.engine.variable import Variable, charge_weight_budget, deferred_variable

# Keras 1/2 layer keywords that Keras 3 dropped but old tutorials still pass.
_LEGACY_SHAPE_KWARGS = ("input_dim", "input_shape", "batch_input_shape", "batch_size", "input_length")


class CallContext(threading.local):
    """Per-thread state of the layer calls in progress (another thread's `model(x, training=True)` must not
    reach this thread's layers).

    `training`: the `training` value of the outermost layer call in progress (Keras's call context), so that
    layers called inside another layer's call() inherit it.
    `scope_stack`: Keras's name scopes: a weight's `path` is the chain of layer names open (being built or
    called) when it is created, e.g. "time_distributed/dense/kernel" or "sequential/dense/kernel". A layer
    remembers the path it was first opened under (Keras's `_parent_path`). Entries: (layer, path tuple
    including its name)."""

    def __init__(self):
        super().__init__()
        self.training = None
        self.scope_stack = []


call_context = CallContext()


def _enter_scope(layer):
    """Open `layer`'s name scope unless it is the innermost one already; returns whether one was pushed."""
    scope_stack = call_context.scope_stack
    if scope_stack and scope_stack[-1][0] is layer:
        return False
    parent = layer.__dict__.get("_parent_path")
    if parent is None:
        parent = scope_stack[-1][1] if scope_stack else ()
        object.__setattr__(layer, "_parent_path", parent)
    scope_stack.append((layer, parent + (layer.name,)))
    return True


def is_default(method):
    """Whether `method` is still the base class's, marked with @default (not overridden)."""
    return getattr(method, "_nnkern_default", False)


def default(method):
    """Mark a base-class method so overriding it can be detected (like keras.src.utils.default)."""
    method._nnkern_default = True
    return method


def _wrap_build(build):
    signature = []  # build's, made once on first use: inspect.signature per build() slowed model loading

    @functools.wraps(build)
    def build_wrapper(self, *args, **kwargs):
        depth = self.__dict__.get("_build_depth", 0)
        object.__setattr__(self, "_build_depth", depth + 1)
        pushed = _enter_scope(self)
        try:
            build(self, *args, **kwargs)
        finally:
            object.__setattr__(self, "_build_depth", depth)
            if pushed:
                call_context.scope_stack.pop()
        if depth == 0:  # post-build actions once, after the outermost build() of the class chain
            try:
                if not signature:
                    signature.append(inspect.signature(build))
                self._build_shapes_dict = dict(signature[0].bind(self, *args, **kwargs).arguments)
                self._build_shapes_dict.pop("self", None)
            except TypeError:
                self._build_shapes_dict = {}
            self.built = True
            self._apply_initial_weights()
    build_wrapper._nnkern_wrapped = True
    return build_wrapper


class Layer:
    """Base class of every nnkern layer (and of Model). See the module docstring for the contract."""

    # Built-in layers return proper numpy arrays of the right dtype; outputs of other layers (Lambda,
    # user layers) are normalized (float64 -> float32, array-likes -> arrays) by the prediction plan.
    _plan_trusted = False
    # Whether Keras's own call() of this layer takes `mask` (nnkern's merge layers take it, Keras's don't).
    _keras_call_has_mask = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_nnkern_wrapped", False):
            cls.build = _wrap_build(build)

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # Remember the constructor arguments: get_config() of a user layer without one returns them.
        object.__setattr__(obj, "_constructor_args", (args, dict(kwargs)))
        return obj

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 **kwargs):
        object.__setattr__(self, "_trainable_variables", [])
        object.__setattr__(self, "_non_trainable_variables", [])
        object.__setattr__(self, "_layers", [])
        if name is None:
            name = auto_name(self.__class__.__name__)
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name} (of type {type(name)})")
        self.name = name
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._dtype_policy = DTypePolicy(dtype if not isinstance(dtype, DTypePolicy) else dtype.name)
        if activity_regularizer is not None:
            from nnkern import regularizers
            activity_regularizer = regularizers.get(activity_regularizer)
        self.activity_regularizer = activity_regularizer
        self._initial_weights = kwargs.pop("weights", None)  # Keras 1/2 `weights=[W, b]`
        input_dim = kwargs.pop("input_dim", None)
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_length", None)  # Keras 2 Embedding/RNN: implied by the input shape
        self._batch_input_shape = None
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_dim is not None or input_shape is not None:
            shape = (input_dim,) if input_dim is not None else _as_shape_tuple(input_shape)
            self._batch_input_shape = (batch_size,) + shape
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {self.__class__.__name__}: {kwargs}")
        if not isinstance(trainable, bool):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable} "
                             f"(of type {type(trainable)})")
        self._trainable = trainable
        self.autocast = autocast
        self.built = False
        self._build_shapes_dict = None
        self.input_spec = None
        self._called = False
        self._losses = []
        facts = _call_facts(type(self))
        self._call_param_names = facts[0]
        self._call_has_training_arg = "training" in facts[0]
        self._call_has_mask_arg = "mask" in facts[0]
        self._call_accepts_kwargs = facts[1]
        self._supports_masking = not is_default(self.compute_mask)
        self._initialized = True

    # ------------------------------------------------------------------ legacy input shape
    @property
    def _input_shape_arg(self):
        """Per-sample input shape given by `input_shape=` / `input_dim=` (Sequential uses it)."""
        return None if self._batch_input_shape is None else self._batch_input_shape[1:]

    # ------------------------------------------------------------------ attribute tracking
    def __setattr__(self, name, value):
        if name != "_layers" and "_layers" in self.__dict__:
            if isinstance(value, Layer):
                self._track_layer(value)
            elif isinstance(value, Variable):
                self._track_variable(value)
            elif isinstance(value, (list, tuple)) and value and not name.startswith("_inbound") \
                    and not name.startswith("_outbound"):
                for v in value:
                    if isinstance(v, Layer):
                        self._track_layer(v)
                    elif isinstance(v, Variable):
                        self._track_variable(v)
        object.__setattr__(self, name, value)

    def _track_layer(self, layer):
        if layer is not self and not any(layer is l for l in self._layers):
            self._layers.append(layer)

    def _track_variable(self, variable):
        lst = self._trainable_variables if variable.trainable else self._non_trainable_variables
        if not any(variable is v for v in self._trainable_variables + self._non_trainable_variables):
            lst.append(variable)

    # ------------------------------------------------------------------ dtypes
    @property
    def dtype_policy(self):
        return self._dtype_policy

    @property
    def dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self):
        return self.compute_dtype

    # ------------------------------------------------------------------ weights
    @default
    def build(self, input_shape=None):
        if input_shape is not None and self._build_shapes_dict is None:
            self._build_shapes_dict = {"input_shape": input_shape}  # Keras records it for any build()
        self.built = True

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False,
                   name=None, **legacy):
        """Create, track and return a weight `Variable` (a named numpy buffer).

        Keras 3 order: add_weight(shape, initializer, dtype, ...). Keras 2 calls that pass the name first
        (add_weight('kernel', (3, 4), ...) or add_weight(name=..., shape=..., initializer=...)) also work.
        """
        if args and isinstance(args[0], str):  # Keras 2: (name, shape, dtype, initializer, regularizer, trainable)
            legacy_order = ("name", "shape", "dtype", "initializer", "regularizer", "trainable")
            given = dict(zip(legacy_order, args))
            name = given.get("name", name)
            shape = given.get("shape", shape)
            dtype = given.get("dtype", dtype)
            initializer = given.get("initializer", initializer)
            regularizer = given.get("regularizer", regularizer)
            trainable = given.get("trainable", trainable)
        elif args:
            if len(args) > 3:
                raise TypeError(f"add_weight() takes at most 3 positional arguments but {len(args)} were given.")
            shape = args[0]
            if len(args) > 1:
                initializer = args[1]
            if len(args) > 2:
                dtype = args[2]
        for key in list(legacy):
            if key in ("use_resource", "synchronization", "partitioner", "caching_device", "experimental_autocast"):
                legacy.pop(key)
        if legacy:
            raise TypeError(f"add_weight() got unexpected keyword arguments: {sorted(legacy)}")
        from nnkern import initializers

        shape = () if shape is None else tuple(int(d) for d in _as_shape_tuple(shape))
        dtype = standardize_dtype(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        name = name or "variable"
        what = f"layer '{self.name}' weight '{name}'"
        charge_weight_budget(shape, what)
        initializer = initializers.get(initializer)
        pushed = _enter_scope(self)
        scope_stack = call_context.scope_stack
        path = "/".join(scope_stack[-1][1] + (name,))
        if pushed:
            scope_stack.pop()
        variable = deferred_variable(lambda: initializers.call_initializer(initializer, shape, dtype, what=what),
                                     shape, dtype, name=name, trainable=trainable, path=path)
        variable.regularizer = regularizer
        variable.constraint = constraint
        self._track_variable(variable)
        return variable

    add_variable = add_weight

    def _set_weight_arguments(self, weight, initializer, regularizer, constraint):
        """Keep a weight's constructor arguments as Keras does: `<weight>_initializer`,
        `<weight>_regularizer` and `<weight>_constraint`, each through its family's get()."""
        from nnkern import constraints, initializers, regularizers
        setattr(self, f"{weight}_initializer", initializers.get(initializer))
        setattr(self, f"{weight}_regularizer", regularizers.get(regularizer))
        setattr(self, f"{weight}_constraint", constraints.get(constraint))

    def _weight_arguments_config(self, *weights, activity_regularizer=False):
        """The config entries of the weights' arguments, serialized, in Keras's order: the initializers,
        the regularizers (then activity_regularizer, if asked), the constraints."""
        from nnkern import constraints, initializers, regularizers
        config = {f"{w}_initializer": initializers.serialize(getattr(self, f"{w}_initializer")) for w in weights}
        config.update({f"{w}_regularizer": regularizers.serialize(getattr(self, f"{w}_regularizer")) for w in weights})
        if activity_regularizer:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config.update({f"{w}_constraint": constraints.serialize(getattr(self, f"{w}_constraint")) for w in weights})
        return config

    def _add_weight_from_arguments(self, weight, shape, name=None):
        """add_weight of `shape` with the arguments _set_weight_arguments kept for `weight`, named
        `name` (default: `weight`)."""
        return self.add_weight(name=name or weight, shape=shape, initializer=getattr(self, f"{weight}_initializer"),
                               regularizer=getattr(self, f"{weight}_regularizer"),
                               constraint=getattr(self, f"{weight}_constraint"))

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self):
        """Own trainable, own non-trainable, then each sublayer's weights (deduplicated): Keras's order."""
        out, seen = [], set()
        for w in self._trainable_variables + self._non_trainable_variables:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    variables = weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    non_trainable_variables = non_trainable_weights

    def _build_from_input_shape_arg(self):
        # Keras 1/2 built a layer given `input_dim=`/`input_shape=` at construction, so old code calls
        # set_weights() on it right away; build it on first need.
        if not self.built and self._batch_input_shape is not None and not is_default(self.build):
            self.build(self._batch_input_shape)

    def get_weights(self):
        """Copies of the weights as numpy arrays, in `weights` order."""
        self._build_from_input_shape_arg()
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Set every weight from a list of arrays in `weights` order; ValueError naming the layer on a
        count or shape mismatch (nothing is assigned then)."""
        self._build_from_input_shape_arg()
        variables = self.weights
        weights = list(weights)
        if len(variables) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                             f"length {len(weights)}, but the layer was expecting {len(variables)} weights.")
        arrays = [np.asarray(w) for w in weights]
        for variable, value in zip(variables, arrays):
            check_data_dtype(value, lambda: f"Layer '{self.name}' weight '{variable.path}' given to "
                                            "set_weights()", numeric_only=True)
            if tuple(variable.shape) != value.shape:
                owner = "" if variable.path == f"{self.name}/{variable.name}" else f" ('{variable.path}')"
                raise ValueError(f"Layer {self.name} weight shape {tuple(variable.shape)}{owner} is not "
                                 f"compatible with provided weight shape {value.shape}.")
        for variable, value in zip(variables, arrays):
            variable.assign(value)

    def _apply_initial_weights(self):
        weights = self.__dict__.get("_initial_weights")
        if weights is not None:
            self._initial_weights = None
            self.set_weights(list(weights))

    def count_params(self):
        self._build_from_input_shape_arg()
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                             "built. You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    @property
    def losses(self):
        return list(self._losses)

    def add_loss(self, loss):
        self._losses.append(loss)

    # ------------------------------------------------------------------ masking
    @property
    def supports_masking(self):
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        self._supports_masking = bool(value)

    @default
    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    # ------------------------------------------------------------------ shapes
    @default
    def compute_output_shape(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {self.__class__.__name__} should implement "
                                  "`def compute_output_shape(self, input_shape)`.")

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensor(s) describing call(*args, **kwargs): from compute_output_shape when the layer
        defines it (dtype = compute dtype, as Keras), else by running call() on zero arrays."""
        if not is_default(self.compute_output_shape):
            shapes = self._shapes_for(self.compute_output_shape, args, kwargs)
            out = self.compute_output_shape(**shapes)
            return _shapes_to_tensors(out, self.compute_dtype, self)
        call_kwargs = {k: v for k, v in kwargs.items() if k != "mask" or self._call_has_mask_arg}
        if self._call_has_training_arg and "training" not in call_kwargs:
            call_kwargs["training"] = False

        def run(materialized):
            a, k = materialized
            return self.call(*a, **k)
        return run_for_spec(run, (args, call_kwargs), f"Layer '{self.name}' ({self.__class__.__name__})")

    def _shapes_for(self, target_fn, args, kwargs):
        """Keras's rule for build()/compute_output_shape() arguments: one parameter -> the shape (structure)
        of the first tensor argument; several -> `<call arg>_shape` for each."""
        names, first = _shape_params(target_fn)
        bound = _bind_call(self, args, kwargs)
        tensor_args = {k: v for k, v in bound.items() if k != "mask" and _holds_tensors(v)}
        if len(names) <= 1:
            if not names:
                return {}
            value = next(iter(tensor_args.values()), None) if tensor_args else (args[0] if args else None)
            return {names[0]: _shape_of(value)}
        out = {}
        for name in names:
            arg = name[:-len("_shape")] if name.endswith("_shape") else None
            if arg is None:
                raise ValueError(f"For a `{target_fn.__name__}()` method with more than one argument, all "
                                 "arguments should have a `_shape` suffix and match an argument from `call()`. "
                                 f"For layer '{self.__class__.__name__}', received argument `{name}`.")
            if arg in tensor_args:
                out[name] = _shape_of(tensor_args[arg])
        return out

    # ------------------------------------------------------------------ calling
    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {self.__class__.__name__} does not have a `call()` method "
                                  "implemented.")

    def __call__(self, *args, **kwargs):
        if not self.__dict__.get("_initialized"):
            raise RuntimeError(f"In layer '{self.__class__.__name__}', you forgot to call `super().__init__()` "
                               "as the first statement in the `__init__()` method. Go add it!")
        self._called = True
        pushed = _enter_scope(self)
        try:
            if any_symbolic(args, kwargs):
                return self._symbolic_call(args, kwargs)
            return self._eager_call(args, kwargs)
        finally:
            if pushed:
                call_context.scope_stack.pop()

    def _eager_call(self, args, kwargs):
        reset = False
        try:
            args = list(args)
            if args:
                args[0] = _to_arrays(args[0], self.autocast, self)
            for k, v in list(kwargs.items()):
                if k not in ("training", "mask") and _looks_like_data(v):
                    kwargs[k] = _to_arrays(v, self.autocast, self, f"argument '{k}'")
            if kwargs.get("mask") is not None:
                _check_mask(kwargs["mask"], self)
            first = args[0] if args else next(iter(kwargs.values()), None)
            self._assert_input_compatibility(first)
            self._maybe_build(args, kwargs)
            kwargs = self._resolve_training(kwargs)
            reset = kwargs.pop("__reset_context__", False)
            if not self._call_has_mask_arg:
                kwargs.pop("mask", None)
            return self.call(*args, **kwargs)
        finally:
            if reset:
                call_context.training = None

    def _resolve_training(self, kwargs):
        training = kwargs.pop("training", None)
        if training is None:
            training = call_context.training
        if self._call_has_training_arg and training is not None:
            kwargs["training"] = training
        if training is not None and call_context.training is None:
            # Make the value visible to layers called inside this call().
            call_context.training = training
            kwargs["__reset_context__"] = True
        return kwargs

    def _symbolic_call(self, args, kwargs):
        first = args[0] if args else next(iter(kwargs.values()))
        self._assert_input_compatibility(first)
        self._maybe_build(args, kwargs)
        call_kwargs = {k: v for k, v in kwargs.items() if k != "training"}
        explicit_mask = kwargs.get("mask")
        if explicit_mask is not None:
            previous_mask = explicit_mask
        elif self._call_has_mask_arg and len(_tensor_args(self, args, call_kwargs)) > 1:
            previous_mask = tree.map_structure(get_mask, first)
        else:
            previous_mask = tree.map_structure(get_mask, first)
        node_kwargs = kwargs
        if self._call_has_mask_arg and explicit_mask is None:
            call_kwargs["mask"] = previous_mask if any(m is not None for m in tree.flatten(previous_mask)) else None
            if "mask" not in kwargs and self._keras_call_has_mask and (call_kwargs["mask"] is None or all(
                    m is None or _in_graph(m) for m in tree.flatten(call_kwargs["mask"]))):
                # Keras fills in the first argument's mask (None too) for a call() with a mask argument and
                # records it in the node; masks made by op nodes (Masking, Embedding) join the graph so.
                node_kwargs = {**kwargs, "mask": call_kwargs["mask"]}
        spec_args, call_kwargs = _autocast_specs(self, args, call_kwargs)
        outputs = self.compute_output_spec(*spec_args, **call_kwargs)
        outputs = tree.map_structure(_fresh_tensor, outputs)
        if self.supports_masking:
            self._set_symbolic_masks(first, outputs, previous_mask)
        elif any(m is not None for m in tree.flatten(previous_mask)):
            warnings.warn(f"Layer '{self.name}' (of type {self.__class__.__name__}) was passed an input with a "
                          "mask attached to it. However, this layer does not support masking and will therefore "
                          "destroy the mask information. Downstream layers will not see the mask.", stacklevel=3)
        Node(self, args, node_kwargs, outputs)
        return outputs

    def _set_symbolic_masks(self, first, outputs, previous_mask):
        flat_out = tree.flatten(outputs)
        if all(o._keras_mask is not None for o in flat_out):
            return
        if is_default(self.compute_mask):
            masks = previous_mask
        elif getattr(self, "_symbolic_compute_mask", False):
            # Built-in layers whose compute_mask records Keras's op nodes (not_equal, any) on KerasTensors.
            has_prev = any(m is not None for m in tree.flatten(previous_mask))
            masks = self.compute_mask(first, previous_mask if has_prev else None)
        else:
            def run(materialized):
                inputs, mask = materialized
                return self.compute_mask(inputs, mask)
            has_prev = any(m is not None for m in tree.flatten(previous_mask))
            masks = run_for_spec(run, (first, previous_mask if has_prev else None),
                                 f"compute_mask() of layer '{self.name}'")
            masks = tree.map_structure(lambda m: m if m is None else _as_mask_tensor(m), masks)
        if masks is None:
            return
        flat_masks = tree.flatten(masks)
        if len(flat_masks) == 1 and len(flat_out) > 1:
            flat_masks = flat_masks * len(flat_out)
        for out, mask in zip(flat_out, flat_masks):
            if out._keras_mask is None and mask is not None:
                out._keras_mask = mask

    def _maybe_build(self, args, kwargs):
        if self.built:
            return
        if not is_default(self.build):
            shapes = self._shapes_for(self.build, args, kwargs)
            self.build(**shapes)
            first = args[0] if args else next(iter(kwargs.values()), None)
            self._assert_input_compatibility(first)
            return
        if any(not layer.built for layer in self._layers) and any_symbolic(args, kwargs):
            try:  # build the sublayers by running call() once, as Keras does by tracing
                self.compute_output_spec(*args, **kwargs)
            except Exception:
                pass
        first = args[0] if args else next(iter(kwargs.values()), None)
        self.build(_shape_of(first))

    def _assert_input_compatibility(self, inputs):
        if self.input_spec:
            assert_input_compatibility(self.input_spec, inputs, self.name)

    # ------------------------------------------------------------------ graph access
    def _node_attribute(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        values = getattr(self._inbound_nodes[0], attr)
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self):
        return self._node_attribute("output_tensors", "output")

    @property
    def output_shape(self):
        """Shape of the output of the first call (Keras 2 attribute, kept for old code)."""
        return tree.map_structure(lambda t: t.shape, self.output)

    @property
    def input_shape(self):
        """Shape of the input of the first call (Keras 2 attribute, kept for old code)."""
        return tree.map_structure(lambda t: t.shape, self.input)

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": serialize_policy(self.dtype_policy)}
        if self.__dict__.get("activity_regularizer") is not None:
            from nnkern import regularizers
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__ \
                and not type(self).__module__.startswith("nnkern."):
            # A user layer without get_config(): return its constructor arguments, as Keras does.
            args, kwargs = self._constructor_args
            try:
                bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
            except TypeError:
                bound = None
            if bound is not None:
                extra = {k: v for k, v in bound.arguments.items() if k not in ("self", "kwargs")}
                extra.update(bound.arguments.get("kwargs", {}))
                config.update(extra)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = standardize_dtype(config["dtype"])
        return cls(**config)

    def get_build_config(self):
        if self._build_shapes_dict is not None:
            if len(self._build_shapes_dict) == 1:
                return {"input_shape": next(iter(self._build_shapes_dict.values()))}
            return {"shapes_dict": dict(self._build_shapes_dict)}
        return None

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name}, built={self.built}>"

    __str__ = __repr__


# ---------------------------------------------------------------------- helpers

_CALL_FACTS = {}


def _call_facts(cls):
    """(parameter names of cls.call, whether it takes **kwargs), cached per class."""
    fn = cls.call
    facts = _CALL_FACTS.get(fn)
    if facts is None:
        params = inspect.signature(fn).parameters
        names = [p for p in params if p != "self"]
        has_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
        facts = _CALL_FACTS[fn] = (names, has_kwargs)
    return facts


_SHAPE_PARAMS = {}


def _shape_params(fn):
    key = getattr(fn, "__func__", fn)
    names = _SHAPE_PARAMS.get(key)
    if names is None:
        params = inspect.signature(fn).parameters.values()
        names = [p.name for p in params
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY, p.KEYWORD_ONLY)]
        _SHAPE_PARAMS[key] = names
    return names, (names[0] if names else None)


def _bind_call(layer, args, kwargs):
    names, _ = _call_facts(type(layer))
    bound = dict(zip(names, args))
    bound.update({k: v for k, v in kwargs.items()})
    return bound


def _holds_tensors(v):
    leaves = tree.flatten(v)
    return bool(leaves) and all(isinstance(x, (KerasTensor, np.ndarray, Variable)) or x is None for x in leaves) \
        and any(x is not None for x in leaves)


def _tensor_args(layer, args, kwargs):
    return {k: v for k, v in _bind_call(layer, args, kwargs).items() if k != "mask" and _holds_tensors(v)}


def _shape_of(value):
    if value is None:
        return None
    if isinstance(value, (KerasTensor, np.ndarray, Variable)):
        return tuple(value.shape)
    if isinstance(value, (list, tuple, dict)):
        return tree.map_structure(lambda x: None if x is None else tuple(np.shape(x)), value)
    return tuple(np.shape(value))


def _as_shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(None if d is None else int(d) for d in shape)


def _in_graph(t):
    history = getattr(t, "_keras_history", None)
    return history is not None and history.operation is not None


def needs_autocast(layer, x):
    """Keras casts a float input of another float dtype to the layer's compute dtype (autocast layers)."""
    dtype = x.dtype if isinstance(x.dtype, str) else standardize_dtype(x.dtype)
    return layer.autocast and dtype.startswith("float") and dtype != layer.compute_dtype


def _autocast_specs(layer, args, kwargs):
    """(args, kwargs) with float KerasTensors of another dtype replaced by compute-dtype specs, for shape
    inference only (the node still records the tensors given)."""
    if not layer.autocast:
        return args, kwargs

    def cast(x):
        if isinstance(x, KerasTensor) and needs_autocast(layer, x):
            spec = KerasTensor(x.shape, dtype=layer.compute_dtype, name=x.name)
            spec._keras_mask = x._keras_mask
            return spec
        return x
    if not any(isinstance(x, KerasTensor) and needs_autocast(layer, x) for x in tree.flatten((args, kwargs))):
        return args, kwargs
    return tree.map_structure(cast, args), {k: (v if k == "mask" else tree.map_structure(cast, v))
                                            for k, v in kwargs.items()}


def _fresh_tensor(x):
    if x is None:
        return x
    # A spec made just now for this call keeps its name, so each output uses one auto-name as in Keras
    # (keras_tensor, keras_tensor_1, ...); a tensor already in the graph gets a new one.
    name = None if hasattr(x, "_keras_history") else x.name
    return KerasTensor(x.shape, dtype=x.dtype, sparse=getattr(x, "sparse", False), name=name)


def _as_mask_tensor(m):
    return KerasTensor(m.shape, dtype="bool")


def _shapes_to_tensors(out, dtype, layer):
    if isinstance(out, list) and out and isinstance(out[0], (int, type(None))):
        out = tuple(out)
    if isinstance(out, tuple) and (not out or isinstance(out[0], (int, type(None), np.integer))):
        return KerasTensor(out, dtype=dtype)
    if isinstance(out, (list, tuple, dict)):
        return tree.map_shape_structure(lambda s: KerasTensor(s, dtype=dtype), out)
    try:
        return KerasTensor(tuple(out), dtype=dtype)
    except TypeError:
        raise ValueError(f"Method `compute_output_shape()` of layer {layer.__class__.__name__} is returning a "
                         f"type that cannot be interpreted as a shape. It should return a shape tuple. "
                         f"Received: {out}") from None


def _looks_like_data(v):
    return isinstance(v, (np.ndarray, Variable)) or (
        isinstance(v, (list, tuple)) and v and all(isinstance(x, (np.ndarray, Variable)) for x in tree.flatten(v)))


def _leaf_to_array(x, autocast, layer=None, role="input"):
    if isinstance(x, Variable):
        x = x.value
    elif not isinstance(x, np.ndarray):
        if x is None:
            return None
        x = np.asarray(x)
    check_data_dtype(x, lambda: _label(layer, role))
    if autocast and x.dtype.kind == "f" and x.dtype != np.float32:
        return x.astype(np.float32)
    return x


def _to_arrays(value, autocast=True, layer=None, role="input"):
    """A layer's data argument as numpy: arrays stay (float -> float32), a list/tuple of arrays stays a
    list, a nested list of numbers becomes one array. Complex, datetime, structured and object arrays
    raise TypeError naming the layer."""
    if isinstance(value, (list, tuple)):
        leaves = tree.flatten(value)
        if leaves and all(isinstance(x, (np.ndarray, Variable)) or x is None for x in leaves):
            return tree.map_structure(lambda x: _leaf_to_array(x, autocast, layer, role), value)
        return _leaf_to_array(np.asarray(value), autocast, layer, role)
    if isinstance(value, dict):
        return {k: _to_arrays(v, autocast, layer, role) for k, v in value.items()}
    return _leaf_to_array(value, autocast, layer, role)


def _check_mask(mask, layer):
    """A mask is boolean data (bool or 0/1 numbers): an object (or complex, text, ...) array is refused."""
    for leaf in tree.flatten(mask):
        if isinstance(leaf, np.ndarray):
            check_data_dtype(leaf, lambda: _label(layer, "mask"), numeric_only=True)


def _label(layer, role):
    return f"Layer '{layer.name}' ({type(layer).__name__}) {role}" if layer is not None else f"a layer {role}"
