"""InputSpec: what a layer accepts (ndim, min/max ndim, fixed axes), checked with Keras's messages."""
from nnkern.engine import tree


class InputSpec:
    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self):
        spec = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                                          ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                                          ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(spec)})"


def assert_input_compatibility(input_spec, inputs, layer_name):
    """ValueError naming the layer, the expectation and the shape received, like Keras."""
    if not input_spec:
        return
    specs = tree.flatten(input_spec)
    inputs = tree.flatten(inputs)
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(inputs)} input tensors. Inputs received: {inputs}")
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input "
                             f"for layer '{layer_name}'.")
        shape = tuple(x.shape)
        ndim = len(shape)
        where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        for axis, value in spec.axes.items():
            if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {shape}")
        if spec.shape is not None:
            got, want = shape, spec.shape
            if spec.allow_last_axis_squeeze:
                got = got[:-1] if got and got[-1] == 1 else got
                want = want[:-1] if want and want[-1] == 1 else want
            for want_dim, dim in zip(want, got):
                if want_dim is not None and dim is not None and want_dim != dim:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")
