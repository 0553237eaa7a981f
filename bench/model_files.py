"""Whole-model `.keras` files saved by real Keras 3, for the load-time and whole-model benchmarks.

    path = model_files.ensure("mobilenet_v2", cache_dir)      # generated once, then reused

The files are made by Keras itself (in a Python that has it: /tmp/benchenv or /tmp/keras, or --keras-python)
in a subprocess running this module as a script, so they are what a Keras user would hand nnkern. They are not
committed (tens of MB). Weights are Keras's random initialisation, and every BatchNormalization gets random
statistics (mean, variance, gamma, beta), so that folding BN into convolutions is exercised with non-trivial
values. The ImageNet models end in logits (`classifier_activation=None`): comparing peers on logits says
more than comparing near-uniform softmax outputs of random networks.
"""
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_CACHE = pathlib.Path(os.environ.get("NNKERN_BENCH_CACHE", "/tmp/nnkern-bench-models"))
KERAS_PYTHONS = ("/tmp/benchenv/bin/python", "/tmp/keras/bin/python")

# name: (input shape without batch, input dtype, vocabulary size of a token-id input)
MODELS = {
    "imdb_bilstm": ((None,), "int32", 20000),
    "mobilenet_v2": ((224, 224, 3), "float32", None),
    "resnet50": ((224, 224, 3), "float32", None),
    "efficientnet_b0": ((224, 224, 3), "float32", None),
    "transformer": ((200,), "int32", 20000),
    "bert_mini": ((128,), "int32", 30522),
    "gru_classifier": ((100,), "int32", 10000),
}


def keras_python(explicit=None):
    """A Python interpreter with Keras 3 (the given one, else the first of KERAS_PYTHONS that exists)."""
    if explicit:
        return explicit
    for p in KERAS_PYTHONS:
        if os.path.exists(p):
            return p
    raise RuntimeError(f"no Python with Keras found (tried {KERAS_PYTHONS}); pass --keras-python")


def ensure(name, cache_dir=DEFAULT_CACHE, python=None):
    """Path of the `.keras` file of model `name` in cache_dir, made by Keras if it is not there yet."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {sorted(MODELS)}")
    cache_dir = pathlib.Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{name}.keras"
    if not path.exists():
        tmp = path.with_suffix(".tmp.keras")
        env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        print(f"making {path} with Keras ...", file=sys.stderr, flush=True)
        subprocess.run([keras_python(python), str(HERE / "model_files.py"), name, str(tmp)], check=True, env=env)
        tmp.rename(path)
    return path


# ---------------------------------------------------------------------- run by a Python with Keras

def build_keras_model(keras, name):
    L = keras.layers
    if name == "imdb_bilstm":  # keras-io "Bidirectional LSTM on IMDB"
        inputs = keras.Input(shape=(None,), dtype="int32")
        x = L.Embedding(20000, 128)(inputs)
        x = L.Bidirectional(L.LSTM(64, return_sequences=True))(x)
        x = L.Bidirectional(L.LSTM(64))(x)
        return keras.Model(inputs, L.Dense(1, activation="sigmoid")(x))
    if name == "transformer":  # keras-io "Text classification with Transformer", positions left out
        inputs = keras.Input(shape=(200,), dtype="int32")
        x = L.Embedding(20000, 32)(inputs)
        attention = L.MultiHeadAttention(num_heads=2, key_dim=32)(x, x)
        x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, attention]))
        ffn = L.Dense(32)(L.Dense(32, activation="relu")(x))
        x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, ffn]))
        x = L.Dense(20, activation="relu")(L.GlobalAveragePooling1D()(x))
        return keras.Model(inputs, L.Dense(2, activation="softmax")(x))
    if name == "bert_mini":  # a BERT-mini-like encoder (4 blocks, d 256, 4 heads, FFN 1024); positions left out
        inputs = keras.Input(shape=(128,), dtype="int32")
        x = L.LayerNormalization(epsilon=1e-12)(L.Embedding(30522, 256)(inputs))
        for _ in range(4):
            attention = L.MultiHeadAttention(num_heads=4, key_dim=64)(x, x)
            x = L.LayerNormalization(epsilon=1e-12)(L.Add()([x, attention]))
            ffn = L.Dense(256)(L.Dense(1024, activation="gelu")(x))
            x = L.LayerNormalization(epsilon=1e-12)(L.Add()([x, ffn]))
        return keras.Model(inputs, x)
    if name == "gru_classifier":  # issue 11's M6: Embedding(10000, 64) -> GRU(128) -> Dense(10)
        inputs = keras.Input(shape=(100,), dtype="int32")
        x = L.GRU(128)(L.Embedding(10000, 64)(inputs))
        return keras.Model(inputs, L.Dense(10)(x))
    apps = keras.applications
    make = {"mobilenet_v2": lambda: apps.MobileNetV2(alpha=1.0, input_shape=(224, 224, 3), weights=None,
                                                     classifier_activation=None),
            "resnet50": lambda: apps.ResNet50(weights=None, classifier_activation=None),
            "efficientnet_b0": lambda: apps.EfficientNetB0(weights=None, classifier_activation=None)}[name]
    return make()


def randomize_batch_norm(keras, model, seed=0):
    """Random BN statistics: Keras initialises them to mean 0, variance 1, gamma 1, beta 0 (an identity)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape
            layer.set_weights([rng.uniform(0.5, 1.5, n).astype("float32"), rng.normal(0, 0.1, n).astype("float32"),
                               rng.normal(0, 0.1, n).astype("float32"), rng.uniform(0.5, 1.5, n).astype("float32")])


def main(argv):
    name, out = argv
    import keras
    keras.utils.set_random_seed(0)
    model = build_keras_model(keras, name)
    randomize_batch_norm(keras, model)
    model.save(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
