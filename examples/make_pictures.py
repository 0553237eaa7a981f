"""Make the README's pictures (docs/img/*.png) with nnkern's plot_model and explore.

    pip install ".[plot]" && python examples/make_pictures.py

1. plot_model.png: the multi-input, multi-output model of Keras's functional-API guide, drawn by the
   guide's own call, `keras.utils.plot_model(model, ..., show_shapes=True)`, with `import nnkern as keras`.
2. explore_conv2d.png: the notebooks' Conv2D (a 4 x 4 input, kernel 1..9), with the input cells and
   kernel taps that make output cell (0, 1) outlined.
"""
import pathlib

import numpy as np

import nnkern as keras
from nnkern import layers

OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "img"


def ticket_model(num_tags=12, num_words=10000, num_departments=4):
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.LSTM(128)(layers.Embedding(num_words, 64)(title_input))
    body_features = layers.LSTM(32)(layers.Embedding(num_words, 64)(body_input))
    x = layers.concatenate([title_features, body_features, tags_input])
    priority = layers.Dense(1, name="priority")(x)
    department = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input],
                       outputs={"priority": priority, "department": department})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    keras.utils.plot_model(ticket_model(), OUT / "plot_model.png", show_shapes=True, dpi=72)

    kernel = np.arange(1, 10, dtype="float32").reshape(3, 3, 1, 1)
    conv = layers.Conv2D(1, 3, kernel_initializer=lambda shape, dtype=None: kernel)
    x = np.arange(1, 17, dtype="float32").reshape(1, 4, 4, 1)
    figure = keras.explore.layer(conv, x, cell=(0, 1))
    figure.savefig(OUT / "explore_conv2d.png", dpi=100)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path} {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
