"""Keras 2 `.h5` model files with GRU and SimpleRNN layers, written by tf-keras (genuine Keras 2), with their
inputs and tf-keras's outputs (data/recurrent_gru_keras2.json.gz / .npz, files data/saving/keras2/*.h5.gz).

Not a gen_*.py (generate.py runs those under Keras 3); run with tf-keras:

    TF_USE_LEGACY_KERAS=1 /tmp/tfkeras/bin/python tests/golden/tfkeras_recurrent_gru.py

Units are at most 8 to keep the files tiny. tests/saving/test_keras2_recurrent_files.py loads them with nnkern.
"""
import os
import pathlib
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

from _keras_helpers import seeded, write_tfkeras_h5_cases  # noqa: E402

FILES_DIR = "saving/keras2"


def masked(x, seed):
    keep = np.random.default_rng(seed).uniform(size=x.shape[:2]) > 0.3
    keep[0, -2:] = False  # post-padding
    keep[-1, :2] = False  # pre-padding
    return x * keep[..., None]


def models():
    """(id, model, inputs) of each file."""
    L = keras.layers
    x = masked(seeded((3, 6, 4), 1, -2, 2), 1)
    ids = np.array([[3, 5, 1, 0, 0, 0], [0, 0, 2, 9, 4, 1], [7, 0, 8, 8, 2, 6]], np.int32)

    yield "gru_sequential", keras.Sequential([L.InputLayer((6, 4)), L.GRU(5, return_sequences=True),
                                              L.GRU(3, reset_after=False, go_backwards=True), L.Dense(2)]), [x]
    yield "simple_rnn_masking", keras.Sequential([L.InputLayer((6, 4)), L.Masking(0.0),
                                                  L.SimpleRNN(6, return_sequences=True, activation="relu"),
                                                  L.SimpleRNN(4, use_bias=False)]), [x]
    inp = L.Input((6,), dtype="int32")
    seq = L.Embedding(10, 4, mask_zero=True)(inp)
    seq = L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="sum")(seq)
    yield "embedding_bidirectional_gru", keras.Model(inp, L.Bidirectional(L.SimpleRNN(3))(seq)), [ids]

    inp = L.Input((6, 4))
    # (hard_sigmoid, whose Keras 2 formula differs from Keras 3's: tfkeras_rnn_states_activations.py)
    out, h = L.GRU(5, return_state=True, activation="softsign")(L.Masking(0.0)(inp))
    dec = L.RNN(L.GRUCell(5), return_sequences=True)(inp, initial_state=[h])
    yield "gru_state_rnn_cell", keras.Model(inp, [out, dec]), [x]

    inp = L.Input((6, 4))
    out = L.RNN([L.GRUCell(4, reset_after=False), L.SimpleRNNCell(3)], return_sequences=True)(L.Masking(0.0)(inp))
    yield "stacked_cells", keras.Model(inp, out), [x]


def main():
    n = write_tfkeras_h5_cases(keras, "recurrent_gru_keras2", models(), HERE / "data", FILES_DIR)
    print(f"recurrent_gru_keras2: {n} cases")


if __name__ == "__main__":
    main()
