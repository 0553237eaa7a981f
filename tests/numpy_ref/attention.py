import numpy as np

# Keras's large negative numbers: layers/activations/softmax.py, and backend/jax/nn.py _apply_masks.
SOFTMAX_MASKED = np.float32(-1e9)
FUSED_MASKED = np.float32(-0.7 * np.finfo(np.float32).max)


def attention(q, k, v, mask=None, causal=False, scale=1.0, masked="zeroed"):
    """softmax(scale * q.k^T, masked) . v per batch and head, written from the Keras definitions.

    q (B, Tq, H, dk), k (B, Tk, H, dk), v (B, Tk, H, dv); mask broadcastable to (B, H, Tq, Tk).
    Returns (output (B, Tq, H, dv), weights (B, H, Tq, Tk)). Scores are float32 like Keras's (the
    masked constants only mean what they do in float32); the products are float64."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    B, Tq, H, _ = q.shape
    Tk = k.shape[1]
    scores = (np.einsum("bqhd,bkhd->bhqk", q, k) * scale).astype(np.float32)
    keep = np.ones((B, H, Tq, Tk), bool)
    if mask is not None:
        keep &= np.broadcast_to(np.asarray(mask, bool), keep.shape)
    if causal:
        keep &= np.tril(np.ones((Tq, Tk), bool))
    if masked == "zeroed":
        scores = np.where(keep, scores, SOFTMAX_MASKED)
    elif masked == "uniform":
        scores = np.where(keep, scores, FUSED_MASKED)
    else:  # "shifted"
        scores = np.where(keep, scores, scores - np.float32(1e9))
    e = np.exp(scores.astype(np.float64) - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    if masked == "zeroed":
        weights = np.where(keep, weights, 0.0)
    return np.einsum("bhqk,bkhd->bqhd", weights, v), weights
