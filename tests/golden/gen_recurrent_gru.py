"""GRU and SimpleRNN goldens: keras.layers.GRU (reset_after True and False), SimpleRNN, RNN over a GRUCell
/ SimpleRNNCell, RNN over a list of cells and over StackedRNNCells, and Bidirectional over both layers.

Single-layer cases (kind "single", the format of gen_layers_conv_rnn.py: constructor arguments, Keras's
config, weight paths and shapes, parameter count, symbolic output shapes, seeded weights, input and
outputs) cover every flag that changes the forward pass: return_sequences, return_state, go_backwards,
use_bias, reset_after, activation / recurrent_activation, dropout (identity at inference), batch 0, one
step. Model cases (kind "model") are saved by Keras as data/saving/recurrent_gru/<id>.keras: masks from Masking
and Embedding(mask_zero=True) (fully masked samples, masked steps at the start, middle and end),
initial_state, cells under RNN, stacked cells, Bidirectional merge modes and initial states; nnkern
loads each file and predicts the stored inputs (tests/layers/test_gru_simple_rnn.py).
Keras 2 `.h5` files come from tf-keras: see tfkeras_recurrent_gru.py.
"""
import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import check_keras_loads_model_files, seeded, seeded_saved_model
from gen_layers_conv_rnn import jsonable, padded_ids, predict, single_layer_case, symbolic_shapes

MODEL_FILES_DIR = "saving/recurrent_gru"  # beside saving/models, with its own size budget


def generate(data_dir):
    w = GoldenWriter("recurrent_gru")
    seed = [0]
    saved = []

    def next_seed():
        seed[0] += 1
        return seed[0]

    def single(case_id, class_name, kwargs, input_shape, batch=3):
        """One layer on one Input; seeded weights; x in [-2, 2)."""
        single_layer_case(w, case_id, next_seed(), class_name, kwargs, input_shape, batch)

    def model_case(case_id, build, feeds):
        """build() -> (model, the layer whose config and weight paths are recorded); weights seeded, the model
        saved as a Keras file."""
        model, layer, ys, record = seeded_saved_model(build, next_seed(), feeds, data_dir,
                                                      f"{MODEL_FILES_DIR}/{case_id}.keras", saved, predict)
        arrays = {**{f"x{i}": x for i, x in enumerate(feeds)}, **{f"y{i}": y for i, y in enumerate(ys)}}
        w.add(case_id, {"kind": "model", "n_inputs": len(feeds), "n_outputs": len(ys),
                        "output_shapes": symbolic_shapes(model.outputs), "params": int(model.count_params()),
                        "layer_name": layer.name, "layer_config": jsonable(layer.get_config()),
                        "weight_paths": [v.path for v in layer.weights], "keras_file": record}, **arrays)

    # ------------------------------------------------------------------ one layer
    flags = [("default", {}), ("seq", dict(return_sequences=True)), ("state", dict(return_state=True)),
             ("seq_state", dict(return_sequences=True, return_state=True)), ("backwards", dict(go_backwards=True)),
             ("backwards_seq_state", dict(go_backwards=True, return_sequences=True, return_state=True)),
             ("nobias", dict(use_bias=False, return_sequences=True)),
             ("relu", dict(activation="relu", return_sequences=True)),
             ("softmax_seq_state", dict(activation="softmax", return_sequences=True, return_state=True)),
             ("dropout", dict(dropout=0.3, recurrent_dropout=0.2, return_sequences=True))]
    gated = [("hard_sigmoid", dict(recurrent_activation="hard_sigmoid")),
             ("sigmoid_tanh", dict(activation="sigmoid", recurrent_activation="tanh", return_sequences=True)),
             ("elu_relu6", dict(activation="elu", recurrent_activation="relu6", return_sequences=True))]
    for reset_after in (True, False):
        prefix = "gru" if reset_after else "gru_reset_before"
        for tag, extra in flags + gated:
            single(f"{prefix}_{tag}", "GRU", {"units": 5, "reset_after": reset_after, **extra}, (6, 4))
        single(f"{prefix}_batch0", "GRU", {"units": 5, "reset_after": reset_after, "return_sequences": True,
                                          "return_state": True}, (6, 4), batch=0)
        single(f"{prefix}_one_step", "GRU", {"units": 3, "reset_after": reset_after, "return_state": True}, (1, 2))
        single(f"{prefix}_units1_batch1", "GRU", {"units": 1, "reset_after": reset_after,
                                                  "return_sequences": True}, (5, 3), batch=1)
    for tag, extra in flags + [("linear", dict(activation="linear")), ("sigmoid", dict(activation="sigmoid"))]:
        single(f"simple_rnn_{tag}", "SimpleRNN", {"units": 5, **extra}, (6, 4))
    single("simple_rnn_batch0", "SimpleRNN", {"units": 4, "return_sequences": True, "return_state": True}, (6, 4),
           batch=0)
    single("simple_rnn_one_step", "SimpleRNN", {"units": 3, "return_state": True}, (1, 2))
    single("simple_rnn_units1_batch1", "SimpleRNN", {"units": 1, "return_sequences": True}, (5, 3), batch=1)

    # ------------------------------------------------------------------ masks
    rng = np.random.default_rng(7)

    def masked_x(shape):
        x = seeded(shape, next_seed(), -2, 2)
        keep = rng.uniform(size=shape[:2]) > 0.3
        keep[1] = False  # a fully masked sample
        keep[2, [0, 3, shape[1] - 1]] = False  # masked at the start, middle and end
        return x * keep[..., None]

    layer_kinds = [("gru", lambda **f: keras.layers.GRU(5, **f)),
                   ("gru_reset_before", lambda **f: keras.layers.GRU(5, reset_after=False, **f)),
                   ("simple_rnn", lambda **f: keras.layers.SimpleRNN(5, **f))]
    for name, make in layer_kinds:
        for tag, f in (("seq", dict(return_sequences=True)), ("last_state", dict(return_state=True)),
                       ("backwards_seq_state", dict(go_backwards=True, return_sequences=True, return_state=True)),
                       ("backwards_last", dict(go_backwards=True))):
            def build(make=make, f=f):
                inp = keras.Input((7, 4))
                layer = make(**f)
                return keras.Model(inp, layer(keras.layers.Masking(0.0)(inp))), layer
            model_case(f"masking_{name}_{tag}", build, [masked_x((3, 7, 4))])

        ids = padded_ids(rng)

        def build(make=make):
            inp = keras.Input((6,), dtype="int32")
            layer = make(return_sequences=True)
            seq = layer(keras.layers.Embedding(20, 4, mask_zero=True)(inp))
            return keras.Model(inp, make()(seq)), layer  # the output mask reaches the second layer
        model_case(f"embedding_{name}_stacked", build, [ids.astype(np.int32)])

        s = next_seed()

        def build(make=make):
            inp, h = keras.Input((5, 4)), keras.Input((5,))
            layer = make(return_sequences=True, return_state=True)
            return keras.Model([inp, h], layer(inp, initial_state=[h])), layer
        model_case(f"initial_state_{name}", build, [seeded((3, 5, 4), s, -2, 2), seeded((3, 5), s + 1)])

    # An encoder-decoder: the GRU's final state starts the decoder.
    s = next_seed()

    def build():
        enc_in, dec_in = keras.Input((6, 3)), keras.Input((4, 2))
        _, h = keras.layers.GRU(5, return_state=True)(enc_in)
        decoder = keras.layers.GRU(5, return_sequences=True, reset_after=False)
        return keras.Model([enc_in, dec_in], keras.layers.Dense(3)(decoder(dec_in, initial_state=h))), decoder
    model_case("encdec_gru", build, [seeded((2, 6, 3), s, -2, 2), seeded((2, 4, 2), s + 1, -2, 2)])

    # ------------------------------------------------------------------ cells under RNN
    cells = [("gru_cell", lambda: keras.layers.GRUCell(4)),
             ("gru_cell_reset_before", lambda: keras.layers.GRUCell(4, reset_after=False, activation="relu")),
             ("simple_rnn_cell", lambda: keras.layers.SimpleRNNCell(4))]
    for name, make in cells:
        for tag, f in (("seq_state", dict(return_sequences=True, return_state=True)),
                       ("backwards_masking", dict(go_backwards=True, return_sequences=True))):
            def build(make=make, f=f, tag=tag):
                inp = keras.Input((6, 4))
                layer = keras.layers.RNN(make(), **f)
                return keras.Model(inp, layer(keras.layers.Masking(0.0)(inp) if "masking" in tag else inp)), layer
            model_case(f"rnn_{name}_{tag}", build, [masked_x((3, 6, 4))])

    stacks = [("list", lambda: [keras.layers.GRUCell(4), keras.layers.SimpleRNNCell(3)], {}),
              ("list_lstm_backwards_masking", lambda: [keras.layers.SimpleRNNCell(3), keras.layers.LSTMCell(4),
                                                       keras.layers.GRUCell(2, reset_after=False)],
               dict(go_backwards=True, return_sequences=True)),
              ("stacked_cells_seq_state", lambda: keras.layers.StackedRNNCells(
                  [keras.layers.GRUCell(3), keras.layers.GRUCell(4)]), dict(return_sequences=True, return_state=True)),
              ("stacked_cells_backwards_state_masking", lambda: keras.layers.StackedRNNCells(
                  [keras.layers.SimpleRNNCell(3), keras.layers.GRUCell(2)]), dict(go_backwards=True, return_state=True))]
    for tag, make, f in stacks:
        def build(make=make, f=f, tag=tag):
            inp = keras.Input((6, 4))
            layer = keras.layers.RNN(make(), **f)
            return keras.Model(inp, layer(keras.layers.Masking(0.0)(inp) if "masking" in tag else inp)), layer
        model_case(f"rnn_{tag}", build, [masked_x((3, 6, 4))])

    s = next_seed()

    def build():
        inp, h1, h2 = keras.Input((5, 4)), keras.Input((3,)), keras.Input((2,))
        layer = keras.layers.RNN([keras.layers.GRUCell(3), keras.layers.SimpleRNNCell(2)], return_sequences=True)
        return keras.Model([inp, h1, h2], layer(inp, initial_state=[h1, h2])), layer
    model_case("rnn_list_initial_state", build, [seeded((2, 5, 4), s, -2, 2), seeded((2, 3), s + 1),
                                                 seeded((2, 2), s + 2)])

    # ------------------------------------------------------------------ Bidirectional
    for name, make in layer_kinds:
        for tag, merge_mode, f in (("concat_seq_masking", "concat", dict(return_sequences=True)),
                                   ("sum_last", "sum", {}), ("mul_last_masking", "mul", {}),
                                   ("ave_seq_state", "ave", dict(return_sequences=True, return_state=True)),
                                   ("none_seq", None, dict(return_sequences=True))):
            def build(make=make, f=f, tag=tag, merge_mode=merge_mode):
                inp = keras.Input((6, 4))
                layer = keras.layers.Bidirectional(make(**f), merge_mode=merge_mode)
                return keras.Model(inp, layer(keras.layers.Masking(0.0)(inp) if "masking" in tag else inp)), layer
            model_case(f"bidirectional_{name}_{tag}", build, [masked_x((3, 6, 4))])
        s = next_seed()

        def build(make=make):
            inp, hf, hb = keras.Input((5, 4)), keras.Input((5,)), keras.Input((5,))
            layer = keras.layers.Bidirectional(make(return_sequences=True))
            return keras.Model([inp, hf, hb], layer(inp, initial_state=[hf, hb])), layer
        feeds = [seeded((2, 5, 4), s, -2, 2), seeded((2, 5), s + 1), seeded((2, 5), s + 2)]
        model_case(f"bidirectional_{name}_initial_state", build, feeds)

    check_keras_loads_model_files(data_dir, saved)
    return w.save(data_dir)
