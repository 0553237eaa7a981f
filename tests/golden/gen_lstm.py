"""LSTM goldens: every flag of keras.layers.LSTM that changes the forward pass.

return_sequences, return_state, go_backwards, use_bias, activation / recurrent_activation
variants, initial state (extra Inputs), masks (a `mask=` Input and a Masking layer; fully masked
samples, masked steps at the start, middle and end) crossed with go_backwards and
return_sequences, batch 1 and > 1, timesteps 1. Weights are set explicitly (seeded), so
initializers and unit_forget_bias do not matter.
"""
import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import seeded

# Steps kept (1) / masked (0) per sample: sample 1 is fully masked, sample 2 has masked steps at
# the start, in the middle and at the end.
MASK_3x7 = np.array([[1, 1, 1, 1, 1, 1, 1],
                     [0, 0, 0, 0, 0, 0, 0],
                     [0, 1, 1, 0, 0, 1, 0]], bool)


def keras_lstm(x, weights, units, *, mask=None, initial=None, masking_layer=False, return_state=True, **flags):
    """Run x through keras.layers.LSTM(units, **flags) with the given weights.

    Returns {"y": output, "h": final h, "c": final c} (h and c only with return_state)."""
    x_in = keras.Input(x.shape[1:])
    inputs, feeds, call_kwargs = [x_in], [x], {}
    seq = keras.layers.Masking(mask_value=0.0)(x_in) if masking_layer else x_in
    if mask is not None:
        mask_in = keras.Input(mask.shape[1:], dtype="bool")
        inputs.append(mask_in)
        feeds.append(mask)
        call_kwargs["mask"] = mask_in
    if initial is not None:
        h_in, c_in = keras.Input((units,)), keras.Input((units,))
        inputs += [h_in, c_in]
        feeds += list(initial)
        call_kwargs["initial_state"] = [h_in, c_in]
    layer = keras.layers.LSTM(units, return_state=return_state, **flags)
    model = keras.Model(inputs, layer(seq, **call_kwargs))
    layer.set_weights(weights)
    outs = model.predict(feeds if len(feeds) > 1 else x, verbose=0)
    outs = [np.asarray(o) for o in (outs if return_state else [outs])]
    return dict(zip(["y", "h", "c"], outs))


def generate(data_dir):
    w = GoldenWriter("lstm")
    seed = [0]

    def case(case_id, batch, timesteps, input_dim, units, *, mask=None, initial=False, masking_layer=False,
             return_state=True, use_bias=True, activation="tanh", recurrent_activation="sigmoid",
             return_sequences=False, go_backwards=False):
        seed[0] += 1
        s = seed[0]
        x = seeded((batch, timesteps, input_dim), s, -2, 2)
        if masking_layer:  # zero whole time steps so Masking(0.0) hides them
            mask = np.random.default_rng(s).uniform(size=(batch, timesteps)) > 0.35
            x = x * mask[..., None]
        weights = [seeded((input_dim, 4 * units), s + 100), seeded((units, 4 * units), s + 200)]
        if use_bias:
            weights.append(seeded((4 * units,), s + 300))
        init = (seeded((batch, units), s + 400), seeded((batch, units), s + 500)) if initial else None
        flags = dict(use_bias=use_bias, activation=activation, recurrent_activation=recurrent_activation,
                     return_sequences=return_sequences, go_backwards=go_backwards)
        out = keras_lstm(x, weights, units, mask=None if masking_layer else mask, initial=init,
                         masking_layer=masking_layer, return_state=return_state, **flags)
        arrays = {"x": x, "kernel": weights[0], "recurrent_kernel": weights[1], **out}
        if use_bias:
            arrays["bias"] = weights[2]
        if mask is not None:
            arrays["mask"] = mask
        if init is not None:
            arrays["initial_h"], arrays["initial_c"] = init
        w.add(case_id, {**flags, "return_state": return_state, "masking_layer": masking_layer}, **arrays)

    for rs in (False, True):
        for gb in (False, True):
            tag = f"{'seq' if rs else 'last'}_{'bwd' if gb else 'fwd'}"
            case(f"plain_{tag}", 3, 7, 5, 4, return_sequences=rs, go_backwards=gb)
            case(f"mask_{tag}", 3, 7, 5, 4, mask=MASK_3x7, return_sequences=rs, go_backwards=gb)
            case(f"mask_initial_{tag}", 3, 7, 5, 4, mask=MASK_3x7, initial=True, return_sequences=rs, go_backwards=gb)
            case(f"initial_{tag}", 2, 5, 3, 6, initial=True, return_sequences=rs, go_backwards=gb)
    case("masking_layer_seq", 4, 9, 3, 5, masking_layer=True, return_sequences=True)
    case("masking_layer_last_bwd", 4, 9, 3, 5, masking_layer=True, go_backwards=True)
    case("nobias_last", 3, 6, 4, 5, use_bias=False)
    case("nobias_seq_bwd", 2, 6, 4, 3, use_bias=False, return_sequences=True, go_backwards=True)
    for act, ract in [("relu", "hard_sigmoid"), ("linear", "sigmoid"), ("tanh", "hard_sigmoid"),
                      ("sigmoid", "tanh"), ("softsign", "relu6"), ("elu", "silu"), ("tanh", "softmax")]:
        case(f"act_{act}_{ract}", 2, 6, 3, 4, activation=act, recurrent_activation=ract, return_sequences=True)
    case("act_relu_hard_sigmoid_mask_bwd", 3, 7, 5, 4, mask=MASK_3x7, activation="relu",
         recurrent_activation="hard_sigmoid", return_sequences=True, go_backwards=True)
    case("batch1_seq", 1, 12, 6, 8, return_sequences=True)
    case("batch1_last_bwd", 1, 10, 2, 3, go_backwards=True)
    case("timesteps1_seq", 3, 1, 4, 5, return_sequences=True)
    case("timesteps1_last_initial", 2, 1, 4, 5, initial=True)
    case("timesteps1_masked_initial", 2, 1, 4, 5, initial=True, mask=np.array([[0], [1]], bool),
         return_sequences=True)
    case("units1", 2, 4, 3, 1, return_sequences=True)
    case("wide_seq", 4, 12, 7, 8, return_sequences=True)
    case("no_state_seq", 2, 5, 3, 4, return_state=False, return_sequences=True)
    case("no_state_last_bwd_mask", 3, 7, 5, 4, return_state=False, go_backwards=True, mask=MASK_3x7)
    return w.save(data_dir)
