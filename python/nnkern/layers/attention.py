"""Attention (Luong, dot-product or "concat" scores) and AdditiveAttention (Bahdanau), Keras 3's layers.

Called on [query, value] or [query, value, key] with masks [query_mask, value_mask]: scores of shape
(B, Tq, Tv), masked (value mask, causal mask) by subtracting 1e9, softmax, times value; query steps
masked out give 0. "dot" scores run on the compiled attention kernel (one head, `shifted` masking);
"concat" and additive scores (a tanh of sums, (B, Tq, Tv, dim) in between) on numpy."""
import numpy as np

from nnkern import _core
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.layers.kernel_calls import run_kernel

__all__ = ["Attention", "AdditiveAttention"]

_SHIFT = np.float32(1e9)  # what Keras subtracts from a masked score (float32)


class Attention(Layer):
    """Keras's Attention; see the module docstring."""

    _plan_trusted = True
    # Keras records no `mask` in the graph node of this list-input call (its summaries show no mask ops).
    _keras_call_has_mask = False

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        if self.score_mode not in ["dot", "concat"]:
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                             f"Received: score_mode={score_mode}")
        self.supports_masking = True

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=True)
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones",
                                                       trainable=True)
        self.built = True

    def _concat_scores(self, query, key):
        """Scores of score_mode 'concat' (and AdditiveAttention's): sums of tanh over (B, Tq, Tv, dim)."""
        summed = query[..., :, None, :] + key[..., None, :, :]
        if self.scale is not None:
            summed = self.scale.value * summed
        return (self.concat_score_weight.value * np.tanh(summed).sum(axis=-1)).astype(np.float32)

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = np.matmul(query, np.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale.value
        return self._concat_scores(query, key)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q = np.asarray(inputs[0], dtype=np.float32)
        v = np.asarray(inputs[1], dtype=np.float32)
        k = np.asarray(inputs[2], dtype=np.float32) if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        v_mask = None if v_mask is None else np.asarray(v_mask).astype(bool)
        dropping = bool(training) and self.dropout > 0
        if self.score_mode == "dot" and type(self)._calculate_scores is Attention._calculate_scores \
                and q.ndim == 3 and not dropping:
            # One head: (B, T, dim) as (B, T, 1, dim). The value mask (B, Tv) masks every query row.
            scale = 1.0 if self.scale is None else float(self.scale.value)
            kernel_mask = None if v_mask is None else v_mask[:, None, None, :]
            result = run_kernel(self, _core.attention, q[:, :, None], k[:, :, None], v[:, :, None], kernel_mask,
                                causal=bool(use_causal_mask), scale=scale, masked="shifted",
                                return_scores=bool(return_attention_scores))
            output, weights = result if return_attention_scores else (result, None)
            output = output[:, :, 0]
            weights = None if weights is None else weights[:, 0]
        else:
            scores = self._calculate_scores(q, k)
            output, weights = self._apply_scores(scores, v, self._score_mask(scores, v_mask, use_causal_mask),
                                                 dropping)
        if q_mask is not None:
            output = np.where(np.asarray(q_mask).astype(bool)[..., None], output, np.float32(0))
        return (output, weights) if return_attention_scores else output

    @staticmethod
    def _score_mask(scores, v_mask, use_causal_mask):
        if v_mask is not None:
            v_mask = np.expand_dims(v_mask, -2)  # (B, 1, Tv)
        if use_causal_mask:
            causal = np.tril(np.ones(scores.shape[-2:], dtype=bool))[None]
            return causal if v_mask is None else v_mask & causal
        return v_mask

    def _apply_scores(self, scores, value, scores_mask, dropping):
        scores = np.asarray(scores, dtype=np.float32)
        if scores_mask is not None:
            scores = np.where(scores_mask, scores, scores - _SHIFT)
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
        used = weights
        if dropping:
            keep = self._rng.random(weights.shape) >= self.dropout
            used = np.where(keep, weights / np.float32(1 - self.dropout), np.float32(0))
        return np.matmul(used, value).astype(np.float32), weights

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return np.asarray(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = KerasTensor((*query.shape[:-1], value.shape[-1]), dtype=self.compute_dtype)
        if return_attention_scores:
            return output, KerasTensor((*query.shape[:-1], key.shape[-2]), dtype=self.compute_dtype)
        return output

    def _validate_inputs(self, inputs, mask=None):
        class_name = self.__class__.__name__
        if not isinstance(inputs, list):
            raise ValueError(f"{class_name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{class_name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(f"{class_name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{class_name} layer accepts mask list of length 2 or 3. Received: "
                                 f"inputs={inputs}, mask={mask}.")

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Keras's AdditiveAttention: scores sum(scale * tanh(query + key)) over the features."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform",
                                         trainable=True)
        self.built = True

    def _calculate_scores(self, query, key):
        summed = np.tanh(query[..., :, None, :] + key[..., None, :, :])
        scale = self.scale.value if self.use_scale else np.float32(1.0)
        return (scale * summed).sum(axis=-1).astype(np.float32)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
