"""Train the bundled demo model with real Keras: a small CNN on scikit-learn's 8x8 digits.

    python -m venv /tmp/keras && /tmp/keras/bin/pip install keras jax jaxlib h5py scikit-learn
    KERAS_BACKEND=jax /tmp/keras/bin/python examples/train_digits.py

Writes into python/nnkern/data/: digits_cnn.keras (the model), digits_test.npz (held-out images
and labels) and digits_meta.json (Keras's own accuracy and predictions on them, which `nnkern demo`
must reproduce). load_digits ships inside scikit-learn: nothing is downloaded.
"""
import json
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OUT = pathlib.Path(__file__).resolve().parents[1] / "python" / "nnkern" / "data"


def build_model():
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1), name="digit"),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")


def main():
    keras.utils.set_random_seed(7)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=360, random_state=0, stratify=y)

    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1, verbose=2)

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "digits_cnn.keras"
    # Ship the inference model only: an uncompiled copy carries no optimizer state (a third the size).
    weights = model.get_weights()
    keras.backend.clear_session()  # so the exported layers get the plain names (conv2d, dense, ...)
    export = build_model()
    export.set_weights(weights)
    export.save(path)
    reloaded = keras.saving.load_model(path)
    probs = reloaded.predict(x_test, verbose=0)
    pred = probs.argmax(axis=1)
    accuracy = float((pred == y_test).mean())
    np.savez_compressed(OUT / "digits_test.npz", x=x_test, y=y_test.astype(np.int32))
    meta = {
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "test_samples": int(len(y_test)),
        "keras_accuracy": accuracy,
        "keras_predictions": pred.tolist(),
        "keras_probabilities_first5": probs[:5].round(7).tolist(),
    }
    (OUT / "digits_meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"held-out accuracy (Keras {keras.__version__}): {accuracy:.4f} on {len(y_test)} digits")


if __name__ == "__main__":
    main()
