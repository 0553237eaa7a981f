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


def keras_order_error_bound(x, gamma, beta, epsilon, residual=None):
    """What float32 may lose in Keras's order, s * inv + (beta - mean * inv): a few ulps of each term, which
    grow with inv (a row of variance ~0 next to epsilon, e.g. one element, cancels terms of size |s| * inv),
    plus the statistics' own error relative to the output."""
    s = np.asarray(x, np.float64) + (0 if residual is None else residual)
    mean = s.mean(axis=-1, keepdims=True)
    inv = 1 / np.sqrt(np.square(s - mean).mean(axis=-1, keepdims=True) + epsilon)
    scale = inv * (1 if gamma is None else np.abs(gamma))
    terms = (np.abs(s) + np.abs(mean)) * scale + (0 if beta is None else np.abs(beta))
    return 4 * np.finfo(np.float32).eps * terms + 1e-5 * np.abs(layer_norm(x, gamma, beta, epsilon, residual)) \
        + 1e-6
