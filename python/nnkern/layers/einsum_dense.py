"""EinsumDense: activation(einsum(equation, inputs, kernel) + bias), Keras 3's layer (and the
projections MultiHeadAttention is built of).

Shapes follow Keras's _analyze_einsum_string: the kernel's axes take their sizes from the input (axes
summed over) or from `output_shape` (new output axes); the bias covers the output axes from the first
of `bias_axes` to the end, with size 1 on the axes not in `bias_axes`. An equation that is a matrix
product (input = free + summed axes, kernel = summed + new axes, output = free + new axes, the usual
case and every MultiHeadAttention projection) runs on the dense kernel; any other on numpy.einsum."""
import math
import re

import numpy as np

from nnkern import _core, activations, initializers
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers.kernel_calls import apply_unfused_activation, run_kernel

__all__ = ["EinsumDense", "analyze_einsum_string"]


def analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape, input axes, output axes) as Keras computes
    them; ValueError with Keras's messages for an equation or shapes that do not fit."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False)):
        split = re.match(pattern, dot_replaced)
        if split:
            return _analyze_split(split.group(1), split.group(2), split.group(3), bias_axes, input_shape,
                                  output_shape, left)
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_split(input_spec, weight_spec, output_spec, bias_axes, input_shape, output_shape, left_elided):
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        input_dim_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i + elided for i, dim in enumerate(output_spec)}
    else:
        input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i for i, dim in enumerate(output_spec)}
    for dim in input_spec:
        size = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            out_size = output_shape[output_dim_map[dim]]
            if out_size is not None and out_size != size:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{dim}'. Input "
                                 f"shape is {size}, and output shape is {out_size}.")
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                             f"corresponding dim in the input spec '{input_spec}' or weight spec '{output_spec}'")
    weight_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dim_map:
            weight_shape.append(output_shape[output_dim_map[dim]])
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{dim}' did not have a match in either the input spec "
                             f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight must "
                             "be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        left = elided if left_elided else 0
        sizes = {char: output_shape[i + left] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(f"Bias dimension '{char}' was requested, but is not part of the output spec "
                                 f"'{output_spec}'")
        first = min(output_spec.find(char) for char in bias_axes)
        bias_shape = [sizes[char] if char in bias_axes else 1 for char in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * elided)
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


def _matrix_product_split(equation):
    """(summed axes, new axes) when the equation is a matrix product over trailing input axes, else None."""
    match = re.fullmatch(r"(\.\.\.)?([a-zA-Z]+),([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)", equation)
    if not match or bool(match.group(1)) != bool(match.group(4)):
        return None
    x, w, y = match.group(2), match.group(3), match.group(5)
    summed = "".join(c for c in x if c in w and c not in y)
    new = "".join(c for c in w if c not in x)
    free = x[:len(x) - len(summed)]
    if not summed or x != free + summed or w != summed + new or y != free + new or any(c in w for c in free):
        return None
    return len(summed), len(new)


class EinsumDense(Layer):
    """activation(einsum(equation, inputs, kernel) + bias); see the module docstring."""

    _plan_trusted = True

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, gptq_unpacked_column_size=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense: `equation` must be a string, got {equation!r}")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        if quantization_config is not None:
            raise ValueError(f"EinsumDense layer '{self.name}': quantized layers are not supported by nnkern "
                             f"(quantization_config={quantization_config!r})")

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"EinsumDense layer '{self.name}': the kernel shape {tuple(kernel_shape)} is not fully "
                             f"known from input shape {tuple(input_shape)} and output_shape "
                             f"{self.partial_output_shape}")
        self.input_spec = InputSpec(ndim=len(input_shape))
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling) and (
                kernel_initializer.input_axes is None or kernel_initializer.output_axes is None):
            config = {**kernel_initializer.get_config(), "input_axes": input_axes, "output_axes": output_axes}
            kernel_initializer = type(kernel_initializer).from_config(config)
        self._kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape), initializer=kernel_initializer,
                                       regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        split = _matrix_product_split(self.equation)
        # The bias can ride in the dense kernel when it spans exactly the new output axes.
        bias_fused = split is not None and bias_shape is not None and len(bias_shape) == split[1] \
            and all(b == k for b, k in zip(bias_shape, kernel_shape[len(kernel_shape) - split[1]:]))
        object.__setattr__(self, "_split", split)
        object.__setattr__(self, "_bias_fused", bias_fused or bias_shape is None)
        object.__setattr__(self, "_fused", activations.fused_name(self.activation))
        self.built = True

    def plain_product(self):
        """Whether call() is one matrix product over the input's last axis plus the bias, with float32 weights
        and no activation: several such layers reading one input can then run as one product over their
        kernels side by side (product_weights)."""
        return self._split is not None and self._split[0] == 1 and self._bias_fused and self._fused == "linear" \
            and self._kernel.dtype == "float32"

    def product_weights(self):
        """The current (kernel as an (input features, outputs) matrix, bias as a vector or None) of a layer whose
        plain_product() is true."""
        kernel = np.asarray(self._kernel)
        return kernel.reshape(kernel.shape[0], -1), None if self.bias is None else np.asarray(self.bias).reshape(-1)

    @property
    def kernel(self):
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._kernel

    def call(self, inputs, training=None):
        kernel = self._kernel.value
        bias = None if self.bias is None else self.bias.value
        if self._split is not None:
            n_summed, n_new = self._split
            shape = inputs.shape
            summed_size = math.prod(kernel.shape[:n_summed])
            fused = self._fused if self._bias_fused else None
            x = np.ascontiguousarray(inputs).reshape(-1, summed_size)
            y = run_kernel(self, _core.dense, x, kernel.reshape(summed_size, -1),
                           bias.reshape(-1) if (bias is not None and self._bias_fused) else None, fused or "linear")
            y = y.reshape(shape[:len(shape) - n_summed] + kernel.shape[n_summed:])
        else:
            fused = None
            y = np.einsum(self.equation, inputs, kernel).astype(np.float32, copy=False)
        if bias is not None and not (self._split is not None and self._bias_fused):
            y = y + bias
        return apply_unfused_activation(self.activation, fused, y)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum_string(self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "activity_regularizer": self.activity_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint,
            "quantization_config": None,
        })
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config
