"""Helpers for the gen_*.py generators (need Keras): seeded arrays and one-layer models."""
import numpy as np


def seeded(shape, seed, low=-1.0, high=1.0):
    """Reproducible float32 uniform values in [low, high)."""
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(np.float32)


def run_layer(layer, x, weights=None):
    """Build `layer` on x's per-sample shape, set `weights` (Keras order), return (weights, output)."""
    import keras

    inp = keras.Input(shape=x.shape[1:], batch_size=None)
    model = keras.Model(inp, layer(inp))
    if weights is not None:
        layer.set_weights(weights)
    y = model.predict(x, verbose=0) if len(x) else np.asarray(model(x))
    return [np.asarray(w) for w in layer.get_weights()], np.asarray(y)
