"""Compile a functional graph into a flat prediction plan.

A plan is a list of steps in topological order; every value (tensor or mask) lives in a numbered slot
of one Python list, and each step is a small closure that reads its input slots, calls the layer and
writes its output slots. Everything that can be decided once — argument structure, which calls get a
`mask=` or `training=`, which masks must be computed, output normalization for user layers — is decided
at compile time, so running a plan does no graph walking, no isinstance chains and no dict lookups.

Masks follow Keras's runtime rule: a layer whose call() takes `mask` receives the masks of its first
tensor argument (and a call with several tensor arguments `x`, `y` its `x_mask`, `y_mask` parameters
their masks); a layer that supports masking passes its input mask on (or computes a new one with
compute_mask); a layer that does not support masking drops it.
"""
import numpy as np

from nnkern import _core
from nnkern.engine import tree
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.dtypes import numpy_dtype
from nnkern.engine.layer import call_context, is_default, needs_autocast
from nnkern.engine.variable import assignment_count


def normalize_output(x):
    """User-layer outputs as Keras tensors would be: numpy arrays, floats as float32."""
    if type(x) is np.ndarray:
        if x.dtype == np.float64 or x.dtype == np.float16:
            return x.astype(np.float32)
        return x
    if x is None:
        return None
    if hasattr(x, "value") and hasattr(x, "assign"):  # a Variable returned as is
        x = x.value
    x = np.asarray(x)
    if x.dtype.kind == "f" and x.dtype != np.float32:
        x = x.astype(np.float32)
    return x


def _autocasting(fn, dtype):
    """fn with its float array arguments of another float dtype cast to `dtype` first (Keras's autocast;
    only compiled in for calls whose inputs are such floats, e.g. a float64 Input)."""
    def cast(x):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.dtype != dtype:
            return x.astype(dtype)
        return x

    def call(*args, **kwargs):
        return fn(*tree.map_structure(cast, args), **kwargs)
    return call


def _normalizing(fn):
    def call(*args, **kwargs):
        out = fn(*args, **kwargs)
        if type(out) is np.ndarray:
            return out.astype(np.float32) if out.dtype == np.float64 else out
        return tree.map_structure(normalize_output, out)
    return call


def _value_slot(kt, slot_of, new_slot):
    """The value slot of KerasTensor kt, made if it has none yet."""
    s = slot_of.get(id(kt))
    if s is None:
        s = slot_of[id(kt)] = new_slot()
    return s


def _array_step(fn, i, outs, kwargs):
    """A call on one array (slot i) with constant keywords."""
    if len(outs) > 1:
        def step(v, fn=fn, i=i, kw=kwargs, outs=outs):
            for s, r in zip(outs, tree.flatten(fn(v[i], **kw))):
                v[s] = r
        return step
    o = outs[0]
    if kwargs:
        def step(v, fn=fn, i=i, o=o, kw=kwargs):
            v[o] = fn(v[i], **kw)
        return step

    def step(v, fn=fn, i=i, o=o):
        v[o] = fn(v[i])
    step.link = (fn, i, o)  # one array in, one out: a link of a chain (see Plan._as_chain)
    return step


def _list_step(fn, ins, o):
    """A call on a list of arrays (a merge layer), one output."""
    def step(v, fn=fn, ins=ins, o=o):
        v[o] = fn([v[i] for i in ins])
    return step


def _general_step(fn, struct, slot, outs, mask_struct, named_mask_slots=None):
    """Any other call: the (args, kwargs) structure rebuilt from slots, plus `mask=` from the mask slots
    in `mask_struct` when the call takes the masks, and `<argument>_mask=` keywords from
    `named_mask_slots` ({keyword: slot})."""
    leaves = tree.flatten(struct)
    leaf_slots = [slot(x) if isinstance(x, KerasTensor) else None for x in leaves]
    named = tuple((named_mask_slots or {}).items())

    def step(v, fn=fn, struct=struct, leaves=leaves, leaf_slots=leaf_slots, outs=outs, mask_struct=mask_struct,
             named=named):
        filled = [v[s] if s is not None else x for s, x in zip(leaf_slots, leaves)]
        a, k = tree.pack_sequence_as(struct, filled)
        if mask_struct is not None or named:
            k = dict(k)
        if mask_struct is not None:
            k["mask"] = tree.map_structure(lambda s: None if s is None else v[s], mask_struct)
        for name, s in named:
            k[name] = v[s]
        r = fn(*a, **k)
        if len(outs) == 1:
            v[outs[0]] = r
        else:
            for s, x in zip(outs, tree.flatten(r)):
                v[s] = x
    return step


# Activations computed in a kernel's epilogue after a folded BatchNormalization: element-wise ones only.
_NOT_ELEMENTWISE = ("softmax", "log_softmax")


def _one_array_call(node, kt=None):
    """Whether `node` calls its layer on one array (`kt` if given) with no other tensor, mask or training=True."""
    args = node.call_args
    return (len(args) == 1 and isinstance(args[0], KerasTensor) and (kt is None or args[0] is kt)
            and len(node.keras_tensors) == 1 and len(node.outputs) == 1
            and set(node.call_kwargs) <= {"training", "mask"} and not node.call_kwargs.get("training")
            and node.outputs[0]._keras_mask is None)


def only_consumer_finder(nodes, outputs):
    """A function kt -> the one node calling on KerasTensor kt, or None when several (or none, or the model's
    output) use it."""
    consumers = {}
    for node in nodes:
        if not node.is_input:
            for kt in node.keras_tensors:
                consumers.setdefault(id(kt), []).append(node)
    for kt in outputs:
        consumers.setdefault(id(kt), []).append(None)

    def only_consumer(kt):
        found = consumers.get(id(kt), [])
        return found[0] if len(found) == 1 else None
    return only_consumer


def _elementwise_activation(act, kt):
    """`act` (a node or None) if it is an activation layer applying a kernel's element-wise activation to kt
    alone, else None."""
    name = getattr(act.operation, "kernel_activation", None) if act is not None else None
    name = name() if name is not None and _one_array_call(act, kt) else None
    return None if name is None or name in _NOT_ELEMENTWISE else act


def batch_norm_folds(nodes, outputs, only_consumer=None):
    """{id(node): (node, batch-norm node, activation node or None)} for each inference BatchNormalization the
    plan can fold into the linear layer before it (Conv2D, DepthwiseConv2D, Dense without an activation, whose
    output feeds nothing else), with the activation layer after it (Activation, ReLU) when that is all the
    normalized output feeds. Layers take part through their fusion protocol: `fold_channel_affine` (the
    linear layer), `channel_affine` (the normalization), `kernel_activation` (the activation)."""
    only_consumer = only_consumer or only_consumer_finder(nodes, outputs)
    folds = {}
    for node in nodes:
        layer = node.operation
        if node.is_input or not hasattr(layer, "fold_channel_affine") or not _one_array_call(node) \
                or layer.compute_dtype != "float32" or needs_autocast(layer, node.call_args[0]):
            continue
        norm = only_consumer(node.outputs[0])
        if norm is None or not hasattr(norm.operation, "channel_affine") \
                or not _one_array_call(norm, node.outputs[0]) or norm.operation.channel_affine() is None:
            continue
        act = _elementwise_activation(only_consumer(norm.outputs[0]), norm.outputs[0])
        name = act.operation.kernel_activation() if act is not None else "linear"
        if layer.fold_channel_affine(*norm.operation.channel_affine(), name) is not None:
            folds[id(node)] = (node, norm, act)
    return folds


def _residual_input(add, kt):
    """The other input of Add node `add` when it sums kt and one other float32 tensor of kt's shape (no masks,
    no training), else None."""
    if not getattr(add.operation, "plain_sum", lambda: False)() or add.operation.compute_dtype != "float32":
        return None
    args = add.call_args
    if len(args) != 1 or not isinstance(args[0], (list, tuple)) or len(args[0]) != 2 \
            or set(add.call_kwargs) - {"training", "mask"} or add.call_kwargs.get("mask") is not None \
            or len(add.outputs) != 1 or add.outputs[0]._keras_mask is not None:
        return None
    a, b = args[0]
    other = b if a is kt else a if b is kt else None
    if other is None or other is kt or not isinstance(other, KerasTensor) or other._keras_mask is not None \
            or kt._keras_mask is not None or tuple(other.shape) != tuple(kt.shape) \
            or any(d is None for d in kt.shape[1:]) or other.dtype != "float32" or kt.dtype != "float32":
        return None
    return other


def _same_pads(size, kernel, stride, dilation):
    """(before, after) zero padding of Keras's `same` on an axis of `size` (the odd cell after)."""
    out = _core.conv_output_length(size, kernel, stride, dilation, "same")
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def padding_folds(nodes, folds, only_consumer):
    """{id(linear node): ZeroPadding2D node} for each fold of batch_norm_folds whose `valid` convolution reads
    only a ZeroPadding2D's output that pads as `same` would for the (static) input size (MobileNetV2's and
    EfficientNet's padding before a stride-2 convolution): the convolution then runs `same` on the unpadded
    input, without the padded copy. Layers take part through `zero_pads` (the padding) and the `pads`
    argument of `fold_channel_affine`."""
    producer = {id(kt): node for node in nodes for kt in node.outputs}
    out = {}
    for node, norm, act in folds.values():
        layer = node.operation
        pad = producer.get(id(node.call_args[0]))
        if pad is None or pad.is_input or only_consumer(pad.outputs[0]) is not node or not _one_array_call(pad) \
                or getattr(layer, "padding", None) != "valid":
            continue
        pads = getattr(pad.operation, "zero_pads", lambda: None)()
        shape = pad.call_args[0].shape
        if pads is None or len(shape) != 4 or any(d is None for d in shape[1:3]) \
                or needs_autocast(pad.operation, pad.call_args[0]):
            continue
        if any(pads[i] != _same_pads(shape[1 + i], layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i])
               for i in range(2)):
            continue
        name = act.operation.kernel_activation() if act is not None else "linear"
        if layer.fold_channel_affine(*norm.operation.channel_affine(), name, pads=pads) is not None:
            out[id(node)] = pad
    return out


def residual_folds(folds, only_consumer):
    """{id(Add node): (linear node, batch-norm node, Add node, activation node or None)} for each fold of
    batch_norm_folds without an activation whose normalized output feeds only an Add of it and one other
    tensor (a residual connection), with the activation after the Add when that is all the sum feeds: the
    sum and the activation then run in the linear layer's kernel epilogue (a folded kernel whose function has
    `takes_residual`)."""
    out = {}
    for node, norm, act in folds.values():
        add = only_consumer(norm.outputs[0])
        if act is not None or add is None or _residual_input(add, norm.outputs[0]) is None:
            continue
        act = _elementwise_activation(only_consumer(add.outputs[0]), add.outputs[0])
        name = act.operation.kernel_activation() if act is not None else "linear"
        folded = node.operation.fold_channel_affine(*norm.operation.channel_affine(), name)
        if getattr(folded, "takes_residual", False):
            out[id(add)] = (node, norm, add, act)
    return out


def expansion_folds(folds, pads, only_consumer):
    """{id(depthwise node): 1x1 conv node} for each pair of folds of batch_norm_folds where a 1x1 Conv2D's
    folded output (after its activation) feeds only a DepthwiseConv2D's fold, directly or through the
    ZeroPadding2D that padding_folds gave it (`pads`): MobileNetV2's and EfficientNet's expansion and the
    depthwise convolution after it, which then run as one kernel call (expanded_depthwise_call) without the
    expanded tensor in memory. Layers take part through the fold protocol: the 1x1's folded function has
    `pointwise`, the depthwise one's `after_pointwise`."""
    out = {}
    for node, norm, act in folds.values():
        last = (act or norm).outputs[0]
        consumer = only_consumer(last)
        if consumer is None:
            continue
        pad = None
        if id(consumer) not in folds:  # through the depthwise layer's folded padding
            pad, consumer = consumer, only_consumer(consumer.outputs[0])
            if consumer is None or pads.get(id(consumer)) is not pad:
                continue
        dw, dw_norm, dw_act = folds.get(id(consumer), (None, None, None))
        if dw is None or dw.call_args[0] is not (last if pad is None else pad.outputs[0]):
            continue
        name = act.operation.kernel_activation() if act is not None else "linear"
        a = node.operation.fold_channel_affine(*norm.operation.channel_affine(), name)
        dw_name = dw_act.operation.kernel_activation() if dw_act is not None else "linear"
        d = dw.operation.fold_channel_affine(*dw_norm.operation.channel_affine(), dw_name,
                                             pads=None if pad is None else pad.operation.zero_pads())
        if getattr(a, "pointwise", None) is not None and getattr(d, "after_pointwise", None) is not None:
            out[id(dw)] = node
    return out


def channel_scale_folds(nodes, folds, residual, only_consumer):
    """{id(linear node): (Multiply node, index of its image input)} for each fold of batch_norm_folds (not a
    residual fold's) whose 1x1 convolution reads only a Multiply of images (batch, h, w, c) by per-image
    channel weights (batch, 1, 1, c): a squeeze-and-excitation block's (EfficientNet's) before its
    projection. The product is then never made: the convolution takes the weights on its kernel's rows
    (channel_scaled_call). Layers take part through the fusion protocol: `plain_product` (the Multiply), the
    1x1's folded function's `scaled_input`."""
    producer = {id(kt): node for node in nodes for kt in node.outputs}
    in_residual = {id(fold[0]) for fold in residual.values()}
    out = {}
    for node, norm, act in folds.values():
        mul = producer.get(id(node.call_args[0]))
        if id(node) in in_residual or mul is None or mul.is_input \
                or not getattr(mul.operation, "plain_product", lambda: False)() \
                or only_consumer(mul.outputs[0]) is not node or mul.operation.compute_dtype != "float32":
            continue
        args = mul.call_args
        if len(args) != 1 or not isinstance(args[0], (list, tuple)) or len(args[0]) != 2 \
                or set(mul.call_kwargs) - {"training", "mask"} or mul.call_kwargs.get("mask") is not None \
                or not all(isinstance(kt, KerasTensor) and kt._keras_mask is None and kt.dtype == "float32"
                           for kt in args[0]):
            continue
        shapes = [tuple(kt.shape) for kt in args[0]]
        image = next((i for i in (0, 1) if len(shapes[i]) == 4 and shapes[1 - i][1:] == (1, 1, shapes[i][3])
                      and shapes[i][3] is not None), None)
        if image is None:
            continue
        name = act.operation.kernel_activation() if act is not None else "linear"
        folded = node.operation.fold_channel_affine(*norm.operation.channel_affine(), name)
        if getattr(folded, "scaled_input", None) is not None:
            out[id(node)] = (mul, image)
    return out


def sum_norm_folds(nodes, only_consumer):
    """{id(Add node): normalization node} for each Add of two float32 tensors of one shape (no masks, no
    training) whose sum feeds only a normalization that can take the sum in its kernel (LayerNormalization
    over the last axis after a Transformer block's residual Add): the sum is then never stored. Layers take
    part through their fusion protocol: `plain_sum` (the Add), `normalize_sum` (the normalization)."""
    out = {}
    for node in nodes:
        if node.is_input or not getattr(node.operation, "plain_sum", lambda: False)():
            continue
        args = node.call_args
        if len(args) != 1 or not isinstance(args[0], (list, tuple)) or len(args[0]) != 2 \
                or _residual_input(node, args[0][0]) is None:
            continue
        norm = only_consumer(node.outputs[0])
        if norm is not None and hasattr(norm.operation, "normalize_sum") \
                and _one_array_call(norm, node.outputs[0]) and not needs_autocast(norm.operation, node.outputs[0]):
            out[id(node)] = norm
    return out


def summed_norm_call(add, norm):
    """(a, b) -> norm(add([a, b])) with the sum in the normalization's kernel (see sum_norm_folds); inputs its
    kernel does not take (norm.normalize_sum returns None) run the two calls."""
    def call(a, b):
        y = norm.normalize_sum(a, b)
        return norm.call(add.call([a, b])) if y is None else y
    return call


def folded_call(layer, norm, act, add=None, pad=None):
    """x -> act(norm(layer(x))) in one kernel call (see batch_norm_folds); with `add` (an Add layer, see
    residual_folds) (x, r) -> act(add([norm(layer(x)), r])), the sum in the kernel's epilogue too; with `pad`
    (a ZeroPadding2D layer, see padding_folds) the layer's input is pad(x), padded by the kernel; `out` (r
    itself, or None) lets the kernel write the sum over r (the caller's r is dead after). The folded
    weights are made again when any weight was assigned since (set_weights, load_weights); an input the
    folded kernel does not take runs the layers' calls."""
    name = "linear" if act is None else act.kernel_activation()
    state = [None, None]  # assignment count when folded, folded function
    pads = None if pad is None else pad.zero_pads()

    def folded():
        """The folded kernel's function (None when the layer cannot fold now), made again after assignments."""
        count = assignment_count()
        if state[0] != count:
            affine = norm.channel_affine()
            if affine is None:
                state[1] = None
            elif pads is None:
                state[1] = layer.fold_channel_affine(*affine, name)
            else:
                state[1] = layer.fold_channel_affine(*affine, name, pads=pads)
            state[0] = count
        return state[1]

    def call(x, residual=None, out=None):
        folded()
        if state[1] is None:
            y = None
        else:
            y = state[1](x) if add is None else state[1](x, residual, out)
        if y is None:
            y = norm.call(layer.call(x if pad is None else pad.call(x)))
            if add is not None:
                y = add.call([y, residual])
            if act is not None:
                y = act.call(y)
        return y
    call.folded = folded
    return call


def channel_scaled_call(multiply, conv):
    """(x, s) -> conv(multiply([x, s])) for a folded_call function `conv` (see channel_scale_folds): the
    1x1's folded function takes s on its kernel where it can (`scaled_input`), else the two calls."""
    def call(x, s):
        scaled_input = getattr(conv.folded(), "scaled_input", None)
        y = None if scaled_input is None else scaled_input(x, s)
        return conv(multiply.call([x, s])) if y is None else y
    return call


def expanded_depthwise_call(expand, depthwise):
    """x -> depthwise(expand(x)) for two folded_call functions, a 1x1 Conv2D's and a DepthwiseConv2D's (see
    expansion_folds), in one kernel call where the fold protocol allows it (the 1x1's folded function has
    `pointwise`, the depthwise one's `after_pointwise`) and it pays; otherwise the two calls."""
    def call(x):
        a, d = expand.folded(), depthwise.folded()
        pointwise = getattr(a, "pointwise", None)
        fused = getattr(d, "after_pointwise", None)
        y = None if pointwise is None or fused is None else fused(x, pointwise)
        return depthwise(expand(x)) if y is None else y
    return call


class Plan:
    """Executable form of a functional graph for one (training, input masks) setting."""

    def __init__(self, inputs, outputs, nodes, training=None, input_has_mask=None):
        self.training = training
        slot_of = {}      # id(KerasTensor) -> value slot
        mask_slot_of = {}  # id(KerasTensor) -> slot of its (runtime) mask, if it may carry one
        n_slots = [0]

        def new_slot():
            n_slots[0] += 1
            return n_slots[0] - 1

        reads = set()  # the slots read by the steps compiled for the current node

        def slot(kt):
            s = slot_of.get(id(kt))
            if s is None:
                raise ValueError(f"Graph disconnected: the plan reached tensor {kt} before computing it.")
            reads.add(s)
            return s

        self.input_slots = []
        self.input_mask_slots = []
        for i, kt in enumerate(inputs):
            self.input_slots.append(_value_slot(kt, slot_of, new_slot))
            if input_has_mask and input_has_mask[i]:
                ms = new_slot()
                mask_slot_of[id(kt)] = ms
                self.input_mask_slots.append(ms)
            else:
                self.input_mask_slots.append(None)
        self._keep_alive = []
        self._pinned = set()  # slots a step may read without slot(): tensors passed as explicit masks
        steps = []
        last_read = {}  # slot -> index of the last step reading it

        def note_reads():  # the slots the node just compiled reads: its last step reads them
            for s in reads:
                last_read[s] = len(steps) - 1
            reads.clear()
        only_consumer = only_consumer_finder(nodes, outputs)
        fusable = {} if training else batch_norm_folds(nodes, outputs, only_consumer)
        residual = residual_folds(fusable, only_consumer)
        self._pads = padding_folds(nodes, fusable, only_consumer)
        padding_nodes = {id(pad) for pad in self._pads.values()}
        deferred = {id(fold[0]) for fold in residual.values()}  # run at their Add's place in the order
        folded_away = {id(fold[1]) for fold in residual.values()}
        sum_norms = {} if training else sum_norm_folds(nodes, only_consumer)
        summed = {}  # id(normalization node) -> its Add node, run in its step
        scales = {} if training else channel_scale_folds(nodes, fusable, residual, only_consumer)
        scaled_products = {id(mul) for mul, _ in scales.values()}
        expansions = expansion_folds(fusable, self._pads, only_consumer)
        expanding = {id(conv): dw for dw, conv in expansions.items()}  # id(1x1 conv node) -> id(depthwise node)
        expanded = {}  # id(depthwise node) -> the 1x1 conv's fold, run in its step
        for node in nodes:
            note_reads()
            if node.is_input or id(node) in folded_away or id(node) in deferred:
                continue
            if id(node) in scaled_products \
                    and all(mask_slot_of.get(id(kt)) is None for kt in node.call_args[0]):
                continue  # run in the 1x1 convolution's step (channel_scale_folds)
            if id(node) in scales and id(node.call_args[0]) not in slot_of:
                steps.append(self._channel_scale_step(scales[id(node)], fusable[id(node)], slot, slot_of, new_slot))
                folded_away.update(id(n) for n in fusable[id(node)][1:] if n is not None)
                continue
            if id(node) in expanding and mask_slot_of.get(id(node.call_args[0])) is None:
                fold = fusable[id(node)]
                expanded[expanding[id(node)]] = fold
                folded_away.update(id(n) for n in fold[1:] if n is not None)
                continue
            if id(node) in expanded:
                steps.append(self._expansion_step(expanded[id(node)], fusable[id(node)], slot, slot_of, new_slot))
                folded_away.update(id(n) for n in fusable[id(node)][1:] if n is not None)
                continue
            norm = sum_norms.get(id(node))
            if norm is not None and all(mask_slot_of.get(id(kt)) is None for kt in node.call_args[0]):
                summed[id(norm)] = node
                continue
            add = summed.get(id(node))
            if add is not None:
                steps.append(self._summed_norm_step(add, node, slot, slot_of, new_slot))
                continue
            if id(node) in padding_nodes:
                if mask_slot_of.get(id(node.call_args[0])) is None:
                    continue  # padded by the convolution after it
                self._pads = {k: p for k, p in self._pads.items() if p is not node}
            fold = residual.get(id(node))
            if fold is not None:
                steps.extend(self._residual_steps(fold, slot, slot_of, mask_slot_of, new_slot))
                folded_away.update(id(n) for n in fold[3:] if n is not None)
                continue
            fold = fusable.get(id(node))
            if fold is not None and mask_slot_of.get(id(node.call_args[0])) is None:
                step = self._folded_step(fold, slot, slot_of, new_slot)
                step.nodes = tuple(n for n in fold if n is not None)
                steps.append(step)
                folded_away.update(id(n) for n in fold[1:] if n is not None)
                continue
            for step in self._compile_node(node, slot, slot_of, mask_slot_of, new_slot):
                step.nodes = (node,)  # what the step computes, for profiles (bench/profile_model.py)
                steps.append(step)
        note_reads()
        self.steps = steps
        self.output_slots = [slot(kt) for kt in outputs]
        self.output_mask_slots = [mask_slot_of.get(id(kt)) for kt in outputs]
        self.n_slots = n_slots[0]
        # Each intermediate array is dropped after the last step reading it, so a large batch's buffers are
        # freed (and their memory reused by later steps) during the run rather than all held to its end.
        keep = self._pinned | set(self.output_slots) | set(self.input_slots) | set(mask_slot_of.values())
        dead_after = [[] for _ in steps]
        for s, i in last_read.items():
            if s not in keep and i >= 0:
                dead_after[i].append(s)
        for k, step in enumerate(steps):
            slots = getattr(step, "residual_slots", None)
            if slots is not None and slots[1] in dead_after[k] and slots[1] != slots[0]:
                steps[k] = self._onto_residual(step)
        self.schedule = tuple((step, tuple(dead)) for step, dead in zip(steps, dead_after))
        self.chain = self._as_chain()

    def _as_chain(self):
        """The layer functions in order when the plan is a plain chain from one input to one output (each
        step one array in, the previous step's array; no masks, no training flag), else None. predict()
        runs such a plan as `for fn in chain: x = fn(x)`, without slots."""
        if self.training is not None or len(self.input_slots) != 1 or len(self.output_slots) != 1 \
                or self.input_mask_slots[0] is not None:
            return None
        fns, current = [], self.input_slots[0]
        for step in self.steps:
            link = getattr(step, "link", None)
            if link is None or link[1] != current:
                return None
            fns.append(link[0])
            current = link[2]
        return tuple(fns) if current == self.output_slots[0] else None

    def _fold_input(self, producer, slot):
        """The slot a fold's kernel reads, and the ZeroPadding2D layer it does itself (or None)."""
        pad = self._pads.get(id(producer))
        if pad is None:
            return slot(producer.call_args[0]), None
        return slot(pad.call_args[0]), pad.operation

    def _residual_steps(self, fold, slot, slot_of, mask_slot_of, new_slot):
        """The steps of a residual fold (see residual_folds), at its Add's place: one kernel call for the linear
        layer, its normalization, the Add and the activation; or, when a mask reaches them at run time, the
        folded linear layer and normalization as one step and the Add as the next (the activation then runs
        as its own step)."""
        producer, norm, add, act = fold
        other = _residual_input(add, norm.outputs[0])
        pad = self._pads.get(id(producer))
        x_kt = producer.call_args[0] if pad is None else pad.call_args[0]
        if any(mask_slot_of.get(id(kt)) is not None for kt in (x_kt, other)):
            steps = [self._folded_step((producer, norm, None), slot, slot_of, new_slot)]
            steps[0].nodes = (producer, norm)
            for step in self._compile_node(add, slot, slot_of, mask_slot_of, new_slot):
                step.nodes = (add,)
                steps.append(step)
            if act is not None:
                for step in self._compile_node(act, slot, slot_of, mask_slot_of, new_slot):
                    step.nodes = (act,)
                    steps.append(step)
            return steps
        out = _value_slot((act or add).outputs[0], slot_of, new_slot)
        i, pad_layer = self._fold_input(producer, slot)
        fn = folded_call(producer.operation, norm.operation, None if act is None else act.operation, add.operation,
                         pad_layer)

        r = slot(other)

        def step(v, fn=fn, i=i, r=r, o=out):
            v[o] = fn(v[i], v[r])
        step.nodes = tuple(n for n in fold if n is not None)
        step.residual_slots = (i, r, out, fn)
        return [step]

    @staticmethod
    def _onto_residual(step):
        """A residual step (see _residual_steps) whose residual is dead after it, made to write its output
        over the residual when nothing else holds that array (no other reference, no view): a new output
        would be written over lines no longer in cache (ResNet50's 56x56x256 sums: 3.2 MB each)."""
        i, r, o, fn = step.residual_slots

        def onto_residual(v, fn=fn, i=i, r=r, o=o):
            sole = _core.sole_output_in(v, r)  # before `res` adds a reference
            res = v[r]
            v[r] = None  # the plan drops it after this step anyway; `res` holds it for the call
            v[o] = fn(v[i], res, res if sole else None)
        onto_residual.nodes = step.nodes
        return onto_residual

    @staticmethod
    def _summed_norm_step(add, norm, slot, slot_of, new_slot):
        """One step for an Add and the normalization of its sum (see sum_norm_folds)."""
        out = _value_slot(norm.outputs[0], slot_of, new_slot)
        a, b = add.call_args[0]

        def step(v, fn=summed_norm_call(add.operation, norm.operation), a=slot(a), b=slot(b), o=out):
            v[o] = fn(v[a], v[b])
        step.nodes = (add, norm)
        return step

    def _folded_step(self, fold, slot, slot_of, new_slot):
        """One step for a linear layer, the BatchNormalization after it and the activation after that (if
        any): the layer's kernel on weights with the normalization folded in, the activation in its epilogue
        (and the zero padding before it, if padding_folds found one)."""
        producer, norm, act = fold
        out = _value_slot((act or norm).outputs[0], slot_of, new_slot)
        i, pad_layer = self._fold_input(producer, slot)
        fn = folded_call(producer.operation, norm.operation, None if act is None else act.operation, pad=pad_layer)
        return _array_step(fn, i, [out], {})

    @staticmethod
    def _channel_scale_step(scale, fold, slot, slot_of, new_slot):
        """One step for a squeeze-and-excitation's Multiply and the 1x1 convolution's fold reading its product
        (see channel_scale_folds), at the convolution's place."""
        (mul, image), (producer, norm, act) = scale, fold
        out = _value_slot((act or norm).outputs[0], slot_of, new_slot)
        fn = channel_scaled_call(mul.operation, folded_call(producer.operation, norm.operation,
                                                            None if act is None else act.operation))
        x, s = mul.call_args[0][image], mul.call_args[0][1 - image]

        def step(v, fn=fn, i=slot(x), j=slot(s), o=out):
            v[o] = fn(v[i], v[j])
        step.nodes = tuple(n for n in fold if n is not None) + (mul,)
        return step

    def _expansion_step(self, expand_fold, fold, slot, slot_of, new_slot):
        """One step for a 1x1 Conv2D's fold and the DepthwiseConv2D fold reading its output (see
        expansion_folds; with the padding between them, if any), at the depthwise layer's place."""
        producer, norm, act = fold
        out = _value_slot((act or norm).outputs[0], slot_of, new_slot)
        conv, conv_norm, conv_act = expand_fold
        pad = self._pads.get(id(producer))
        expand = folded_call(conv.operation, conv_norm.operation, None if conv_act is None else conv_act.operation)
        depthwise = folded_call(producer.operation, norm.operation, None if act is None else act.operation,
                                pad=None if pad is None else pad.operation)
        step = _array_step(expanded_depthwise_call(expand, depthwise), slot(conv.call_args[0]), [out], {})
        step.nodes = tuple(n for n in expand_fold + (pad,) + fold if n is not None)
        return step

    # ------------------------------------------------------------------ compile one node
    def _compile_node(self, node, slot, slot_of, mask_slot_of, new_slot):
        """The steps of one layer call: the call itself (a nested model, a one-array call, a call on a list
        of arrays, or the general case rebuilding the arguments) and the step computing its output masks."""
        layer = node.operation
        args = node.call_args
        kwargs = self._call_kwargs(layer, node)
        first = args[0] if args else next((v for v in kwargs.values() if isinstance(v, KerasTensor)), None)
        prev_mask_slots = self._input_mask_slots(node, first, slot_of, mask_slot_of)
        self._pinned.update(s for s in tree.flatten(prev_mask_slots) if s is not None)
        has_prev = any(s is not None for s in tree.flatten(prev_mask_slots))
        pass_mask = layer._call_has_mask_arg and has_prev
        out_slots = []
        for kt in node.outputs:
            out_slots.append(_value_slot(kt, slot_of, new_slot))

        if getattr(layer, "_run_flat", None) is not None:  # a nested functional model: runs its own plan
            return [self._nested_step(node, layer, slot, prev_mask_slots, has_prev, out_slots, mask_slot_of,
                                      new_slot)]
        fn = layer.call if layer._plan_trusted else _normalizing(layer.call)
        if any(isinstance(x, KerasTensor) and needs_autocast(layer, x) for x in tree.flatten(args)):
            fn = _autocasting(fn, numpy_dtype(layer.compute_dtype))
        static_kwargs = {k: v for k, v in kwargs.items()
                         if not any(isinstance(x, KerasTensor) for x in tree.flatten(v))}
        named_masks = self._named_mask_slots(layer, args, kwargs, mask_slot_of)
        one_argument = len(static_kwargs) == len(kwargs) and len(args) == 1 and not pass_mask and not named_masks
        if one_argument and isinstance(args[0], KerasTensor):
            step = _array_step(fn, slot(args[0]), out_slots, static_kwargs)
        elif one_argument and not static_kwargs and len(out_slots) == 1 and isinstance(args[0], (list, tuple)) \
                and all(isinstance(x, KerasTensor) for x in args[0]):
            step = _list_step(fn, tuple(slot(x) for x in args[0]), out_slots[0])
        else:
            step = _general_step(fn, (args, kwargs), slot, out_slots, prev_mask_slots if pass_mask else None,
                                 named_masks)
        return [step] + self._output_mask_steps(node, layer, first, slot, prev_mask_slots, has_prev,
                                                mask_slot_of, new_slot)

    def _call_kwargs(self, layer, node):
        """The recorded call keywords without `mask` (masks travel in slots), with this plan's `training`
        where the call takes it and none was recorded."""
        kwargs = dict(node.call_kwargs)
        kwargs.pop("mask", None)
        training = kwargs.pop("training", None)
        if training is None:
            training = self.training
        if layer._call_has_training_arg and training is not None:
            kwargs["training"] = training
        return kwargs

    @staticmethod
    def _named_mask_slots(layer, args, kwargs, mask_slot_of):
        """Keras's rule for a call with several tensor arguments: the mask of argument `x` goes to the
        call's `x_mask` parameter (MultiHeadAttention's query_mask, value_mask, key_mask) unless given.
        {keyword: mask slot} for the arguments that may carry a mask at run time."""
        names = layer._call_param_names
        bound = dict(zip(names, args))
        bound.update(kwargs)
        tensors = {n: x for n, x in bound.items() if n != "mask" and isinstance(x, KerasTensor)}
        if len(tensors) < 2:
            return {}
        out = {}
        for name, x in tensors.items():
            keyword = f"{name}_mask"
            if keyword in names and bound.get(keyword) is None and mask_slot_of.get(id(x)) is not None:
                out[keyword] = mask_slot_of[id(x)]
        return out

    @staticmethod
    def _input_mask_slots(node, first, slot_of, mask_slot_of):
        """Slots of the masks reaching a call: an explicit mask= argument, else the first argument's masks.
        A recorded `mask=None` (Keras records one for calls taking a mask) is the same as none given."""
        explicit_mask = node.call_kwargs.get("mask")
        if explicit_mask is not None:
            return tree.map_structure(
                lambda m: mask_slot_of.get(id(m), slot_of.get(id(m))) if isinstance(m, KerasTensor) else None,
                explicit_mask)
        return tree.map_structure(lambda t: mask_slot_of.get(id(t)) if isinstance(t, KerasTensor) else None, first)

    def _output_mask_steps(self, node, layer, first, slot, prev_mask_slots, has_prev, mask_slot_of, new_slot):
        """A layer that supports masking passes its input masks on (no step) or computes new ones (one step);
        other layers drop them."""
        if not layer.supports_masking:
            return []
        if is_default(layer.compute_mask):
            for kt, ms in zip(node.outputs, tree.flatten(prev_mask_slots)):
                if ms is not None:
                    mask_slot_of[id(kt)] = ms
                    self._alias_symbolic_mask(kt, ms, mask_slot_of)
            return []
        if not has_prev and all(kt._keras_mask is None for kt in node.outputs):
            return []
        out_mask_slots = []
        for kt in node.outputs:
            ms = new_slot()
            mask_slot_of[id(kt)] = ms
            self._alias_symbolic_mask(kt, ms, mask_slot_of)
            out_mask_slots.append(ms)
        first_leaves = tree.flatten(first)
        first_slots = [slot(x) if isinstance(x, KerasTensor) else None for x in first_leaves]

        def mask_step(v, layer=layer, first_struct=first, first_leaves=first_leaves, first_slots=first_slots,
                      prev=prev_mask_slots, outs=out_mask_slots):
            inputs = tree.pack_sequence_as(
                first_struct, [v[s] if s is not None else x for s, x in zip(first_slots, first_leaves)])
            previous = tree.map_structure(lambda s: None if s is None else v[s], prev)
            m = layer.compute_mask(inputs, previous)
            flat = [None] if m is None else tree.flatten(m)
            for s, x in zip(outs, flat):
                v[s] = None if x is None else np.asarray(x, dtype=bool)
            for s in outs[len(flat):]:
                v[s] = None
        return [mask_step]

    @staticmethod
    def _alias_symbolic_mask(kt, ms, mask_slot_of):
        # Let an explicit `mask=t._keras_mask` argument elsewhere find this runtime mask.
        if kt._keras_mask is not None:
            mask_slot_of[id(kt._keras_mask)] = ms

    def _nested_step(self, node, model, slot, prev_mask_slots, has_prev, out_slots, mask_slot_of, new_slot):
        first = node.call_args[0] if node.call_args else next(iter(node.call_kwargs.values()))
        in_slots = [slot(x) for x in tree.flatten(first)]
        mask_slots = tree.flatten(prev_mask_slots) if has_prev else [None] * len(in_slots)
        if len(mask_slots) != len(in_slots):
            mask_slots = [None] * len(in_slots)
        flags = tuple(s is not None for s in mask_slots)
        inner = model._get_plan(self.training, flags if any(flags) else None)
        out_mask_slots = []
        for kt, inner_ms in zip(node.outputs, inner.output_mask_slots):
            if inner_ms is not None:
                ms = new_slot()
                mask_slot_of[id(kt)] = ms
                self._alias_symbolic_mask(kt, ms, mask_slot_of)
                out_mask_slots.append(ms)
            else:
                out_mask_slots.append(None)
        with_masks = any(flags) or any(s is not None for s in out_mask_slots)

        def step(v, inner=inner, ins=in_slots, mins=mask_slots, outs=out_slots, mouts=out_mask_slots,
                 with_masks=with_masks):
            xs = [v[s] for s in ins]
            if with_masks:
                ms = [None if s is None else v[s] for s in mins]
                ys, ym = inner.run(xs, ms, with_masks=True)
                for s, m in zip(mouts, ym):
                    if s is not None:
                        v[s] = m
            else:
                ys = inner.run(xs)
            for s, y in zip(outs, ys):
                v[s] = y
        return step

    # ------------------------------------------------------------------ run
    def run(self, flat_inputs, input_masks=None, with_masks=False):
        """Flat list of outputs (and their masks if with_masks) for a flat list of input arrays."""
        v = [None] * self.n_slots
        for s, x in zip(self.input_slots, flat_inputs):
            v[s] = x
        if input_masks is not None:
            for s, m in zip(self.input_mask_slots, input_masks):
                if s is not None:
                    v[s] = m
        if self.training is not None and call_context.training is None:
            call_context.training = self.training
            try:
                for step, dead in self.schedule:
                    step(v)
                    for s in dead:
                        v[s] = None
            finally:
                call_context.training = None
        else:
            for step, dead in self.schedule:
                step(v)
                for s in dead:
                    v[s] = None
        outs = [v[s] for s in self.output_slots]
        if with_masks:
            return outs, [None if s is None else v[s] for s in self.output_mask_slots]
        return outs
