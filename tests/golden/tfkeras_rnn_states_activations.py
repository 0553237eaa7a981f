"""Keras 2 `.h5` model files for issue 10, written by tf-keras (genuine Keras 2), with their inputs and tf-keras's
outputs (data/rnn_states_activations_keras2.json / .npz, files data/saving/keras2/*.h5):

- return_state over stacked cells with several states each (tf-keras returns them nested per cell, as Keras 3);
- activations whose Keras 2 formula differs from Keras 3's: hard_sigmoid (0.2x + 0.5, Keras 3: x / 6 + 0.5) as
  ConvLSTM2D's Keras 2 default recurrent_activation, LSTM / GRU recurrent_activation, Dense activation and an
  Activation layer; and one Dense per tf-keras activation name, to show the others compute as Keras 3's.

Not a gen_*.py (generate.py runs those under Keras 3); run with tf-keras:

    TF_USE_LEGACY_KERAS=1 /tmp/tfkeras/bin/python tests/golden/tfkeras_rnn_states_activations.py

tests/saving/test_keras2_states_activations.py loads them with nnkern.
"""
import os
import pathlib
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tf_keras as keras  # noqa: E402

from _keras_helpers import seeded, write_tfkeras_h5_cases  # noqa: E402

FILES_DIR = "saving/keras2"
# Every activation name tf-keras 2.21 deserializes (keras.activations), each on a Dense of its own.
TF_KERAS_ACTIVATIONS = ["elu", "exponential", "gelu", "hard_sigmoid", "linear", "mish", "relu", "selu", "sigmoid",
                        "softmax", "softplus", "softsign", "swish", "tanh"]


def models():
    """(id, model, inputs) of each file."""
    L = keras.layers
    x = seeded((3, 6, 4), 1, -2, 2)
    x[1, 4:] = 0  # masked steps (post-padding) for the Masking cases
    inp = L.Input((6, 4))
    outs = L.RNN([L.LSTMCell(4), L.GRUCell(3), L.LSTMCell(2)], return_state=True)(L.Masking(0.0)(inp))
    yield "stacked_cells_states", keras.Model(inp, outs), [x]

    inp = L.Input((6, 4))
    out, (h1, c1), h2 = L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_state=True, go_backwards=True)(inp)
    dec = L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_sequences=True)(inp, initial_state=[[h1, c1], h2])
    yield "stacked_cells_picked_states", keras.Model(inp, [out, c1, dec]), [x]

    # Wide inputs: hard_sigmoid's two formulas differ everywhere but at 0 and beyond +-3.
    frames = seeded((2, 3, 5, 5, 2), 2, -3, 3)
    yield "conv_lstm2d_default", keras.Sequential([L.InputLayer((3, 5, 5, 2)),
                                                   L.ConvLSTM2D(3, 3, padding="same", return_sequences=True),
                                                   L.ConvLSTM2D(2, 2, go_backwards=True)]), [frames]
    seq = seeded((3, 6, 4), 3, -3, 3)
    yield "lstm_gru_hard_sigmoid", keras.Sequential([
        L.InputLayer((6, 4)), L.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True),
        L.Bidirectional(L.GRU(3, recurrent_activation="hard_sigmoid", activation="hard_sigmoid")),
        L.Dense(4, activation="hard_sigmoid"), L.Activation("hard_sigmoid")]), [seq]

    inp = L.Input((5,))
    outs = [L.Dense(3, activation=name, name=f"dense_{name}")(inp) for name in TF_KERAS_ACTIVATIONS]
    yield "dense_every_activation", keras.Model(inp, outs), [seeded((4, 5), 4, -3, 3)]


def main():
    n = write_tfkeras_h5_cases(keras, "rnn_states_activations_keras2", models(), HERE / "data", FILES_DIR)
    print(f"rnn_states_activations_keras2: {n} cases")


if __name__ == "__main__":
    main()
