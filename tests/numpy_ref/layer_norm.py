"""Keras's LayerNormalization over the last axis, written from its definition in float64."""
import numpy as np


def layer_norm(x, gamma=None, beta=None, epsilon=1e-3, residual=None):
    """(s - mean) / sqrt(var + epsilon) * gamma + beta over the last axis of s = x (+ residual), the
    variance being the mean of squared deviations. The sum is rounded to float32 first, as Keras's Add."""
    s = np.asarray(x, np.float32)
    if residual is not None:
        s = s + np.asarray(residual, np.float32)
    s = s.astype(np.float64)
    mean = s.mean(axis=-1, keepdims=True)
    variance = np.square(s - mean).mean(axis=-1, keepdims=True)
    y = (s - mean) / np.sqrt(variance + np.float64(np.float32(epsilon)))
    if gamma is not None:
        y = y * np.asarray(gamma, np.float64)
    if beta is not None:
        y = y + np.asarray(beta, np.float64)
    return y
