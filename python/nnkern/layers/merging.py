"""Merge layers (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot) and their functional
forms. Integer inputs stay integer (Average and a normalized Dot give float32), as in Keras."""
import numpy as np

from nnkern import _core
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer

__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot",
           "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot"]


def _result_dtype(inputs):
    return np.result_type(*[x.dtype for x in inputs])


def _check_mask_list(inputs, mask, received):
    """A merge layer's masks: a list of one per input (ValueError otherwise, Keras's words)."""
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"`mask` should be a list. {received}={mask}")
    if len(mask) != len(inputs):
        raise ValueError("The lists `inputs` and `mask` should have the same length. Received: "
                         f"{len(inputs)} inputs and {len(mask)} masks")


class Merge(Layer):
    """Element-wise merge of a list of same-shaped (broadcastable) tensors."""

    _plan_trusted = True
    _keras_call_has_mask = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _merge_function(self, inputs, masks=None):
        raise NotImplementedError

    @staticmethod
    def _elementwise_shape(shape1, shape2, layer):
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return Merge._elementwise_shape(shape2, shape1, layer)
        if not shape2:
            return tuple(shape1)
        out = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(f"Layer '{layer.name}' ({layer.__class__.__name__}): inputs have incompatible "
                                 f"shapes. Received shapes {tuple(shape1)} and {tuple(shape2)}")
        return tuple(out)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape \
                or not isinstance(input_shape[0], (tuple, list)):
            raise ValueError(f"A merge layer ('{self.name}') should be called on a list of inputs. "
                             f"Received: input_shape={input_shape} (not a list of shapes)")
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Layer '{self.name}': cannot merge tensors with different batch sizes. Received "
                             f"tensors with shapes {list(input_shape)}")
        out = input_shape[0][1:]
        for s in input_shape[1:]:
            out = self._elementwise_shape(out, s[1:], self)
        self._reshape_required = len({len(s) for s in input_shape}) != 1
        self.built = True

    def _expand(self, inputs):
        if not self._reshape_required:
            return inputs
        max_ndim = max(x.ndim for x in inputs)
        out = []
        for x in inputs:
            while x.ndim < max_ndim:
                x = np.expand_dims(x, 1)
            out.append(x)
        return out

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer ('{self.name}') should be called on a list of inputs. Received: "
                             f"inputs={inputs} (not a list of tensors)")
        return self._merge_function(self._expand(inputs), mask)

    def compute_output_shape(self, input_shape):
        out = input_shape[0][1:] if input_shape[0] is not None else None
        for s in input_shape[1:]:
            out = self._elementwise_shape(out, None if s is None else s[1:], self)
        batch_sizes = {s[0] for s in input_shape if s is not None} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch,) + tuple(out)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_mask_list(inputs, mask, "Received: mask")
        if any(m is None for m in mask):
            return None
        out = np.asarray(mask[0], dtype=bool)
        for m in mask[1:]:
            out = np.logical_or(out, m)
        return out


def _masked_reduce(op, inputs, masks):
    """Keras's masked element-wise merge: masked-out values of one input don't take part."""
    if not masks or all(m is None for m in masks):
        out = inputs[0]
        for x in inputs[1:]:
            out = op(out, x)
        return out
    output = None
    output_mask = None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = np.broadcast_to(np.expand_dims(mask, -1), x.shape)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = np.where(mask, x, output)
        if output_mask is not None:
            output = np.where(output_mask, output, x)
        output_mask = np.logical_or(output_mask, mask) if mask is not None and output_mask is not None else None
        output = op(output, x)
    return output


class Add(Merge):
    def _merge_function(self, inputs, masks=None):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def plain_sum(self):
        """The prediction plan's fusion protocol: whether call() is the plain element-wise sum (not a subclass's
        call), which a convolution before it may add in its epilogue."""
        return type(self).call is Merge.call and type(self)._merge_function is Add._merge_function


class Subtract(Merge):
    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer ('{self.name}') should be called on exactly 2 inputs. "
                             f"Received: input_shape={list(input_shape)}")

    def _merge_function(self, inputs, masks=None):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer ('{self.name}') should be called on exactly 2 inputs. "
                             f"Received {len(inputs)} inputs")
        return inputs[0] - inputs[1]


def _channel_weights(x, s):
    """Whether float32 s is x's per-sample channel weights, shape (batch, 1, ..., 1, channels) (a
    squeeze-and-excitation block's)."""
    return (type(x) is np.ndarray and type(s) is np.ndarray and x.dtype == np.float32 and s.dtype == np.float32
            and x.ndim == s.ndim >= 3 and s.shape[0] == x.shape[0] and s.shape[-1] == x.shape[-1]
            and all(d == 1 for d in s.shape[1:-1]))


class Multiply(Merge):
    def plain_product(self):
        """The prediction plan's fusion protocol: whether call() is the plain element-wise product (not a
        subclass's call), which a 1x1 convolution after it may take as per-image weights on its kernel."""
        return type(self).call is Merge.call and type(self)._merge_function is Multiply._merge_function

    def _merge_function(self, inputs, masks=None):
        if masks is None or all(m is None for m in masks):
            if len(inputs) == 2:  # numpy broadcasts the weights one row of channels at a time: ~3x slower
                x, s = inputs
                if _channel_weights(x, s):
                    return _core.multiply_channels(x, s)
                if _channel_weights(s, x):
                    return _core.multiply_channels(s, x)
            out = inputs[0]
            for x in inputs[1:]:
                out = out * x
            return out
        out = None
        for x, m in zip(inputs, masks):
            if m is not None:
                m = np.broadcast_to(np.expand_dims(m, -1), x.shape)
                x = np.where(m, x, np.asarray(1, dtype=x.dtype))
            out = x if out is None else out * x
        all_masked = all(m is not None for m in masks)
        if all_masked:
            any_valid = np.logical_or.reduce([np.broadcast_to(np.expand_dims(m, -1), x.shape) for m, x in
                                              zip(masks, inputs)])
            out = np.where(any_valid, out, np.asarray(0, dtype=out.dtype))
        return out


class Average(Merge):
    def _merge_function(self, inputs, masks=None):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        out = out / len(inputs)
        return out.astype(np.float32) if out.dtype != np.float32 else out


class Maximum(Merge):
    def _merge_function(self, inputs, masks=None):
        return _masked_reduce(np.maximum, inputs, masks)


class Minimum(Merge):
    def _merge_function(self, inputs, masks=None):
        return _masked_reduce(np.minimum, inputs, masks)


class Concatenate(Merge):
    """Concatenates a list of inputs along `axis` (default the last)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape \
                or not isinstance(input_shape[0], (tuple, list)):
            raise ValueError(f"A `Concatenate` layer ('{self.name}') should be called on a list of at least 1 "
                             f"input. Received: input_shape={input_shape}")
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"A `Concatenate` layer ('{self.name}') requires inputs with matching shapes except "
                             f"for the concatenation axis. Received: input_shape={list(input_shape)}")
        rank = ranks.pop()
        axis = self.axis % rank
        for dim in range(rank):
            if dim == axis:
                continue
            sizes = {s[dim] for s in input_shape} - {None}
            if len(sizes) > 1:
                raise ValueError(f"A `Concatenate` layer ('{self.name}') requires inputs with matching shapes "
                                 f"except for the concatenation axis. Received: input_shape="
                                 f"{[tuple(s) for s in input_shape]}")
        self.built = True

    def call(self, inputs, mask=None):
        return np.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape}")
        out = list(input_shape[0])
        for s in input_shape[1:]:
            if out[self.axis] is None or s[self.axis] is None:
                out[self.axis] = None
                break
            out[self.axis] += s[self.axis]
        return tuple(out)

    def compute_output_spec(self, inputs, mask=None):
        dtype = np.result_type(*[np.dtype(x.dtype) for x in inputs]).name if inputs else self.compute_dtype
        if dtype.startswith("float"):  # floats (or ints mixed with floats) compute in the float dtype
            dtype = self.compute_dtype
        return KerasTensor(self.compute_output_shape([x.shape for x in inputs]), dtype=dtype)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_mask_list(inputs, mask, "Received mask")  # Keras's Concatenate words it so
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            x = np.asarray(x)
            if m is None:
                masks.append(np.ones(x.shape, dtype=bool))
            elif np.ndim(m) < x.ndim:
                masks.append(np.broadcast_to(np.expand_dims(m, -1), x.shape))
            else:
                masks.append(np.asarray(m, dtype=bool))
        return np.any(np.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x, axis):
    """Keras's ops.normalize: x * min(rsqrt(sum(x^2)), 1 / epsilon), epsilon = 1e-7."""
    x = x.astype(np.float32)
    square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        inv_norm = np.minimum(1.0 / np.sqrt(square_sum), np.float32(1e7))
    return x * inv_norm


def batch_dot(x, y, axes):
    """Keras's batch_dot for one contraction axis per input (axes already made non-negative)."""
    ax, ay = axes
    if ax == 0 or ay == 0:
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dimension "
                         f"to your inputs. Received inputs with shapes {x.shape} and {y.shape}.")
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {x.shape} and {y.shape} with axes={axes}. "
                         f"x.shape[{ax}] != y.shape[{ay}] ({x.shape[ax]} != {y.shape[ay]}).")
    letters = "abcdefghijklmnopqrstuvwxyz"  # the batch axis is "B", so no other axis can take its letter
    xs = ["B"] + [letters[i] for i in range(1, x.ndim)]
    ys = ["B"] + [letters[i + x.ndim] for i in range(1, y.ndim)]
    ys[ay] = xs[ax]
    out = [c for i, c in enumerate(xs) if i != ax] + [c for i, c in enumerate(ys) if i not in (0, ay)]
    result = np.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
    if result.ndim == 1:
        result = result[:, None]
    return result


class Dot(Merge):
    """Dot product of two samples along `axes` (an int or a pair), optionally of L2-normalized inputs
    (cosine proximity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Invalid type for argument `axes`: it should be a list or an int. "
                                f"Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. "
                                 f"Received: axes={axes}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError("Invalid format for argument `axes`: list elements should be integers. "
                                 f"Received: axes={axes}")
        self.axes = axes
        self.normalize = normalize

    def _axes_for(self, shape1, shape2):
        if isinstance(self.axes, int):
            if self.axes < 0:
                return [self.axes % len(shape1), self.axes % len(shape2)]
            return [self.axes] * 2
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, (shape1, shape2))]

    def build(self, input_shape):
        if not isinstance(input_shape[0], (tuple, list)) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer ('{self.name}') should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        shape1, shape2 = input_shape
        axes = self._axes_for(shape1, shape2)
        if shape1[axes[0]] is not None and shape2[axes[1]] is not None and shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(f"Layer '{self.name}' (Dot): incompatible input shapes: axis values "
                             f"{shape1[axes[0]]} (at axis {axes[0]}) != {shape2[axes[1]]} (at axis {axes[1]}). "
                             f"Full input shapes: {tuple(shape1)}, {tuple(shape2)}")
        self.built = True

    def _merge_function(self, inputs, masks=None):
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer ('{self.name}') should be called on exactly 2 inputs. "
                             f"Received {len(inputs)} inputs")
        x1, x2 = inputs
        axes = self._axes_for(x1.shape, x2.shape)
        if self.normalize:
            x1 = _l2_normalize(x1, axes[0])
            x2 = _l2_normalize(x2, axes[1])
        return batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = self._axes_for(shape1, shape2)
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        out = shape1 + shape2
        if len(out) == 1:
            out += [1]
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    return Dot(axes=axes, **kwargs)(inputs)


for _f in (concatenate, add, subtract, multiply, average, maximum, minimum, dot):
    _f.__doc__ = f"Functional interface to the `{_f.__name__.capitalize()}` layer: apply one to `inputs`."
