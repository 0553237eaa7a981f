"""return_state over stacked cells that carry several states each (issue 10): keras.layers.RNN over a list of
cells / StackedRNNCells mixing LSTMCell, GRUCell and SimpleRNNCell, with return_state=True. Keras 3 returns
(output, *states) with one entry per cell: a list [h, c] for an LSTMCell, a tensor for a one-state cell. Cases: the states as model outputs, single states picked
out of the nested lists, go_backwards, Masking, initial_state in the nested structure, a decoder started
from the stack's final states, Bidirectional over the stack. Each model is saved by Keras as
data/saving/rnn_stacked_states/<id>.keras; tests/layers/test_stacked_cell_states.py loads it and predicts
the stored inputs (outputs flattened in order)."""
import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import check_keras_loads_model_files, seeded, seeded_saved_model
from gen_layers_conv_rnn import jsonable, symbolic_shapes

MODEL_FILES_DIR = "saving/rnn_stacked_states"


def flat_outputs(model, feeds):
    outs = model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0)
    return [np.asarray(o) for o in keras.tree.flatten(outs)]


def generate(data_dir):
    w = GoldenWriter("rnn_stacked_states")
    saved = []
    L = keras.layers
    rng = np.random.default_rng(11)

    def masked_x(shape, s):
        x = seeded(shape, s, -2, 2)
        keep = rng.uniform(size=shape[:2]) > 0.3
        keep[1] = False  # a fully masked sample
        keep[2, [0, 3, shape[1] - 1]] = False  # masked at the start, middle and end
        return x * keep[..., None]

    def case(case_id, s, build, feeds):
        model, layer, ys, record = seeded_saved_model(build, s, feeds, data_dir, f"{MODEL_FILES_DIR}/{case_id}.keras",
                                                      saved, flat_outputs)
        w.add(case_id, {"kind": "model", "n_inputs": len(feeds), "n_outputs": len(ys),
                        "output_structure": jsonable(keras.tree.map_structure(lambda t: list(t.shape),
                                                                               model.outputs)),
                        "output_shapes": symbolic_shapes(keras.tree.flatten(model.outputs)),
                        "params": int(model.count_params()), "layer_name": layer.name,
                        "layer_config": jsonable(layer.get_config()),
                        "weight_paths": [v.path for v in layer.weights], "keras_file": record},
              **{f"x{i}": x for i, x in enumerate(feeds)}, **{f"y{i}": y for i, y in enumerate(ys)})

    stacks = [
        ("lstm_lstm", lambda: [L.LSTMCell(4), L.LSTMCell(3)], {}, False),
        ("lstm_gru_lstm_seq", lambda: [L.LSTMCell(4), L.GRUCell(2), L.LSTMCell(3)], dict(return_sequences=True), False),
        ("gru_lstm_backwards_masking", lambda: L.StackedRNNCells([L.GRUCell(3, reset_after=False), L.LSTMCell(4)]),
         dict(go_backwards=True), True),
        ("simple_lstm_seq_masking", lambda: [L.SimpleRNNCell(3), L.LSTMCell(2)], dict(return_sequences=True), True),
    ]
    for s, (tag, make, flags, masking) in enumerate(stacks, start=1):
        def build(make=make, flags=flags, masking=masking):
            inp = keras.Input((6, 4))
            layer = L.RNN(make(), return_state=True, **flags)
            return keras.Model(inp, layer(L.Masking(0.0)(inp) if masking else inp)), layer
        case(f"rnn_{tag}", s, build, [masked_x((3, 6, 4), s)])

    def build():  # single states picked out of the nested lists, into other layers
        inp = keras.Input((5, 3))
        layer = L.RNN([L.LSTMCell(4), L.GRUCell(2)], return_state=True, name="stack")
        out, (h1, c1), h2 = layer(inp)
        return keras.Model(inp, [L.Dense(2)(L.Concatenate()([out, c1, h2])), h1]), layer
    case("picked_states", 10, build, [seeded((2, 5, 3), 10, -2, 2)])

    def build():  # initial_state in the nested structure; an encoder-decoder over stacks
        enc_in, dec_in = keras.Input((5, 3)), keras.Input((4, 2))
        encoder = L.RNN([L.LSTMCell(4), L.LSTMCell(3)], return_state=True, name="encoder")
        _, states1, states2 = encoder(enc_in)
        decoder = L.RNN([L.LSTMCell(4), L.LSTMCell(3)], return_sequences=True, return_state=True, name="decoder")
        out, *_ = decoder(dec_in, initial_state=[states1, states2])
        return keras.Model([enc_in, dec_in], out), decoder
    case("encoder_decoder", 11, build, [seeded((2, 5, 3), 11, -2, 2), seeded((2, 4, 2), 12, -2, 2)])

    def build():
        inp, h, c, g = keras.Input((5, 3)), keras.Input((4,)), keras.Input((4,)), keras.Input((2,))
        layer = L.RNN([L.LSTMCell(4), L.GRUCell(2)], return_state=True, go_backwards=True)
        return keras.Model([inp, h, c, g], layer(inp, initial_state=[[h, c], g])), layer
    case("initial_state_backwards", 13, build, [seeded((2, 5, 3), 13, -2, 2), seeded((2, 4), 14), seeded((2, 4), 15),
                                                seeded((2, 2), 16)])

    for s, (tag, merge_mode, masking) in enumerate((("concat", "concat", False), ("sum_masking", "sum", True),
                                                    ("none", None, False)), start=20):
        def build(merge_mode=merge_mode, masking=masking):
            inp = keras.Input((6, 4))
            layer = L.Bidirectional(L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_state=True,
                                          return_sequences=True), merge_mode=merge_mode)
            return keras.Model(inp, layer(L.Masking(0.0)(inp) if masking else inp)), layer
        case(f"bidirectional_{tag}", s, build, [masked_x((3, 6, 4), s)])

    check_keras_loads_model_files(data_dir, saved)
    return w.save(data_dir)
