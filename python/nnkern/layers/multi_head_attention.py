"""MultiHeadAttention, Keras 3's layer: EinsumDense projections of query, key and value into heads,
softmax(Q·Kᵀ / √key_dim, masked)·V per head, and an EinsumDense back to the output shape.

The mask reaching the softmax is Keras's: the query's mask (B, T, 1), the value's and key's (B, 1, S),
the causal mask and `attention_mask` (B, T, S), combined with AND. In a functional model the masks of
query, value and key arrive as `query_mask` / `value_mask` / `key_mask` (Keras's rule for a call with
several tensor arguments). Keras computes the attention two ways, which differ only on fully masked
query rows: ops.dot_product_attention (3-D inputs, no dropout, no returned scores; a fully masked row
averages the values uniformly) and its Softmax layer (otherwise; such a row attends to nothing). The
compiled attention kernel runs both for 3-D inputs; other ranks and `attention_axes` run on numpy.
Self-attention (query, value and key one array) projects Q, K and V with one product over the three
kernels side by side, and the attention kernel reads them in place as column slices of its output."""
import math
import string

import numpy as np

from nnkern import _core, initializers
from nnkern.engine.argument_validation import positive_int
from nnkern.engine.dtypes import check_data_dtype
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.variable import assignment_count
from nnkern.layers.activation_layers import Softmax
from nnkern.layers.einsum_dense import EinsumDense
from nnkern.layers.kernel_calls import run_kernel
from nnkern.layers.regularization import Dropout

__all__ = ["MultiHeadAttention"]

# Keras 2 (tf.keras) configs also record the shapes the layer was built for (and softmax_robust_masking).
_KERAS2_BUILD_KEYS = ("query_shape", "key_shape", "value_shape")


def _positive_int(value, arg, allow_none=False):
    if allow_none and value is None:
        return None
    expected = "a positive integer or `None`" if allow_none else "a positive integer"
    return positive_int(value, f"Received an invalid value for argument `{arg}`, expected {expected}. "
                               f"Received: {arg}={value}")


def _clone(initializer):
    if isinstance(initializer, initializers.Initializer):
        return type(initializer).from_config(initializer.get_config())
    return initializer


def _build_proj_equation(free_dims, bound_dims, output_dims):
    """Keras's projection equation, e.g. (2, 1, 2) -> ("abc,cde->abde", "de", 4)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def _get_output_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


def _build_attention_equation(rank, attn_axes):
    """Keras's (dot product, combine) einsum equations and the rank of the scores."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = tuple(i for i in range(rank) if i not in attn_axes + (rank - 1,))
    offset, source = rank, ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(Layer):
    """Keras's MultiHeadAttention; see the module docstring."""

    _plan_trusted = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        for key in _KERAS2_BUILD_KEYS:
            kwargs.pop(key, None)
        # Keras 2 masked by adding -1e9 ("shifted"), or with softmax_robust_masking=True by replacing the score.
        robust = kwargs.pop("softmax_robust_masking", None)
        self._keras2_masked = None if robust is None else ("uniform" if robust else "shifted")
        num_heads = _positive_int(num_heads, "num_heads")
        key_dim = _positive_int(key_dim, "key_dim")
        value_dim = _positive_int(value_dim, "value_dim", allow_none=True)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"Invalid value received for argument `dropout`. Expected a float value between 0 and "
                             f"1. Received: dropout={dropout}")
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` "
                                 "should be of type tuple, list, or int.") from None
        self._output_shape = output_shape
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = kernel_regularizer
        self._bias_regularizer = bias_regularizer
        self._kernel_constraint = kernel_constraint
        self._bias_constraint = bias_constraint
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: "
                             f"attention_axes={attention_axes}")
        self._attention_axes = attention_axes
        if sliding_window is not None:
            _positive_int(sliding_window, "sliding_window")
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if flash_attention and self._dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    def get_config(self):
        return {**super().get_config(),
                "num_heads": self._num_heads, "key_dim": self._key_dim, "value_dim": self._value_dim,
                "dropout": self._dropout, "use_bias": self._use_bias, "use_gate": self._use_gate,
                "output_shape": self._output_shape, "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": self._kernel_regularizer, "bias_regularizer": self._bias_regularizer,
                "activity_regularizer": self.activity_regularizer, "kernel_constraint": self._kernel_constraint,
                "bias_constraint": self._bias_constraint, "seed": self.seed}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        shapes = {k: config.get(k) for k in _KERAS2_BUILD_KEYS}
        layer = super().from_config(config)
        if shapes["query_shape"] is not None and shapes["value_shape"] is not None:
            layer.build(tuple(shapes["query_shape"]), tuple(shapes["value_shape"]),
                        None if shapes["key_shape"] is None else tuple(shapes["key_shape"]))
        return layer

    # ------------------------------------------------------------------ build
    def _dense(self, equation, output_shape, bias_axes, name, activation=None):
        # Each projection gets its own initializer instance, as in Keras.
        return EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes if self._use_bias else None,
                           activation=activation, name=name, dtype=self.dtype_policy.name,
                           kernel_initializer=_clone(self._kernel_initializer),
                           bias_initializer=_clone(self._bias_initializer),
                           kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                           kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint)

    def _projection(self, input_shape, last_dim, name, activation=None):
        equation, bias_axes, output_rank = _build_proj_equation(len(input_shape) - 1, bound_dims=1, output_dims=2)
        dense = self._dense(equation, _get_output_shape(output_rank - 1, [self._num_heads, last_dim]), bias_axes,
                            name, activation)
        dense.build(tuple(input_shape))
        return dense

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        # Public attribute names: Keras saves the projections under `query_dense`, `key_dense`, ...
        self.query_dense = self._projection(query_shape, self._key_dim, "query")
        self.key_dense = self._projection(key_shape, self._key_dim, "key")
        if self._use_gate:
            # Keras has no public property for the gate: it is saved as `_gate_dense`.
            self._gate_dense = self._projection(query_shape, self._value_dim, "gate", activation="sigmoid")
        self.value_dense = self._projection(value_shape, self._value_dim, "value")
        rank = len(query_shape) + 1  # of the projected tensors
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(
            rank, self._attention_axes)
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy.name)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy.name, seed=self.seed)
        output_shape = self._output_shape or [query_shape[-1]]
        equation, bias_axes, output_rank = _build_proj_equation(len(query_shape) - 1, bound_dims=2,
                                                                output_dims=len(output_shape))
        self.output_dense = self._dense(equation, _get_output_shape(output_rank - 1, output_shape), bias_axes,
                                        "attention_output")
        projected = list(self.query_dense.compute_output_shape(tuple(query_shape)))
        projected[-1] = self._value_dim
        self.output_dense.build(tuple(projected))
        # The compiled kernel handles Keras's usual case: (B, T, dim) inputs attending over axis 1.
        object.__setattr__(self, "_kernel_path", rank == 4 and self._attention_axes == (1,))
        # Self-attention's projections as one product (see _fused_qkv_weights) when all three are plain ones.
        object.__setattr__(self, "_qkv_fusable", len({query_shape[-1], key_shape[-1], value_shape[-1]}) == 1
                           and all(d.plain_product() for d in self._qkv_projections()))
        object.__setattr__(self, "_qkv_weights", (None, None, None))  # assignment count, kernel, bias
        self.built = True

    def _fused_qkv_weights(self):
        """(kernel (dim, heads * (2 * key_dim + value_dim)), bias or None): the query, key and value kernels
        (and biases) side by side, for self-attention's one product. Made again when any weight was assigned
        since (set_weights, load_weights), as the prediction plan's folded weights are."""
        count, kernel, bias = self._qkv_weights
        if count != assignment_count():
            count = assignment_count()
            kernels, biases = zip(*(d.product_weights() for d in self._qkv_projections()))
            kernel = np.concatenate(kernels, axis=1)
            bias = None if biases[0] is None else np.concatenate(biases)
            object.__setattr__(self, "_qkv_weights", (count, kernel, bias))
        return kernel, bias

    def _qkv_projections(self):
        return self.query_dense, self.key_dense, self.value_dense

    def _self_attention_projections(self, x):
        """(q, k, v) of x attending to itself, from one product: views of its columns (the attention kernel
        reads them in place), equal to query_dense(x), key_dense(x), value_dense(x)."""
        kernel, bias = self._fused_qkv_weights()
        lead = x.shape[:-1]
        y = run_kernel(self, _core.dense, np.ascontiguousarray(x).reshape(-1, x.shape[-1]), kernel, bias, "linear")
        y = y.reshape(lead + (kernel.shape[1],))
        qk = self._num_heads * self._key_dim
        return (y[..., :qk].reshape(lead + (self._num_heads, self._key_dim)),
                y[..., qk:2 * qk].reshape(lead + (self._num_heads, self._key_dim)),
                y[..., 2 * qk:].reshape(lead + (self._num_heads, self._value_dim)))

    # ------------------------------------------------------------------ call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        query, value = self._as_float32(query, "query"), self._as_float32(value, "value")
        key = value if key is None else self._as_float32(key, "key")
        mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask)
        gate = self._gate_dense.call(query) if self._use_gate else None
        if self._qkv_fusable and query is value and key is value:
            q, k, v = self._self_attention_projections(query)
        else:
            q = self.query_dense.call(query)
            k = self.key_dense.call(key)
            v = self.value_dense.call(value)
        dropping = bool(training) and self._dropout > 0
        if self._kernel_path and not dropping:
            # Keras's Softmax path when it returns the scores or has dropout; ops.dot_product_attention else.
            softmax_path = return_attention_scores or self._dropout > 0
            if mask is not None and mask.ndim == 3:
                mask = mask[:, None]  # (B, T, S) -> (B, 1, T, S): the same mask for every head
            result = run_kernel(self, _core.attention, q, k, v, mask, causal=bool(use_causal_mask),
                                scale=self._inverse_sqrt_key_dim,
                                masked=self._keras2_masked or ("zeroed" if softmax_path else "uniform"),
                                return_scores=bool(return_attention_scores))
            output, scores = result if return_attention_scores else (result, None)
        else:
            output, scores = self._numpy_attention(q, k, v, mask, use_causal_mask, training)
        if gate is not None:
            output = output * gate
        output = self.output_dense.call(output)
        return (output, scores) if return_attention_scores else output

    def _as_float32(self, x, role):
        # Layer.__call__ checks only the first argument; value and key may come positionally.
        x = np.asarray(x)
        check_data_dtype(x, lambda: f"Layer '{self.name}' (MultiHeadAttention) {role}", numeric_only=True)
        return x if x.dtype == np.float32 else x.astype(np.float32)

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask):
        """Keras's _compute_attention_mask without the causal part (the kernel applies that itself)."""
        auto = None
        if query_mask is not None:
            auto = np.expand_dims(np.asarray(query_mask).astype(bool), -1)  # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = np.expand_dims(np.asarray(m).astype(bool), -2)  # (B, 1, S)
                auto = m if auto is None else auto & m
        if self._sliding_window is not None:
            rows = np.arange(query.shape[1])[:, None]
            cols = np.arange(value.shape[1])[None, :]
            band = (np.abs(rows - cols) < self._sliding_window)[None]
            auto = band if auto is None else auto & band
        if attention_mask is not None:
            attention_mask = np.asarray(attention_mask).astype(bool)
            return attention_mask if auto is None else attention_mask & auto
        return auto

    def _numpy_attention(self, q, k, v, mask, use_causal_mask, training):
        """Keras's _compute_attention on its Softmax path, for any rank and attention axes (and dropout)."""
        if use_causal_mask:
            causal = np.tril(np.ones((q.shape[1], v.shape[1]), dtype=bool))[None]
            mask = causal if mask is None else mask & causal
        q = q * np.float32(self._inverse_sqrt_key_dim)
        scores = np.einsum(self._dot_product_equation, k, q).astype(np.float32)
        if mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(scores.ndim - mask.ndim):
                mask = np.expand_dims(mask, axis)
        scores = self._softmax.call(scores, mask)
        dropped = self._dropout_layer.call(scores, training=bool(training))
        output = np.einsum(self._combine_equation, dropped, v).astype(np.float32)
        return output, scores

    # ------------------------------------------------------------------ shapes
    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        if self._output_shape:
            query_shape = query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape, None if key is None else key.shape)
        output = KerasTensor(shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        # Keras declares (B, heads, Tq, Tq) whatever the key length and rank (the scores it computes are
        # (B, heads, Tq, Tk) for 3-D inputs); declared the same, so summaries and saved shapes agree.
        length = query.shape[1]
        return output, KerasTensor((query.shape[0], self._num_heads, length, length), dtype=self.compute_dtype)
