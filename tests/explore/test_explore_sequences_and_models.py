"""explore.layer on an LSTM (gates and states over time, h checked against the layer's own output),
on an attention layer (scores per head), and explore.model (one panel per layer output, graph order)."""
import numpy as np
import pytest

import nnkern as keras
from nnkern import explore, layers
from nnkern.engine.layer import Layer
from utils._picture_checks import is_png, svg_root, svg_texts
from _plot_models import MODELS

pytest.importorskip("matplotlib")

STEPS = np.array([0.1, 0.2, 0.3, 0.4], "float32").reshape(1, 4, 1)


def axes_by_title(figure):
    return {ax.get_title(): ax for ax in figure.axes if ax.get_title()}


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_states_over_time(tmp_path, go_backwards):
    lstm = layers.LSTM(3, return_sequences=True, go_backwards=go_backwards)
    x = np.random.default_rng(0).standard_normal((2, 5, 2)).astype("float32")
    figure = explore.layer(lstm, x, sample=1, to_file=tmp_path / "lstm.svg")
    axes = axes_by_title(figure)
    assert list(axes) == ["input x", "input gate i", "forget gate f", "candidate c̃", "output gate o", "cell state c",
                          "hidden state h"]
    assert all(len(axes[name].get_lines()) == 3 for name in list(axes)[1:])   # one line per unit
    assert len(axes["input x"].get_lines()) == 2                               # one per feature
    h = np.stack([line.get_ydata() for line in axes["hidden state h"].get_lines()], axis=1)
    np.testing.assert_allclose(h, np.asarray(lstm(x))[1], rtol=1e-4, atol=1e-5)  # nnkern's C++ LSTM
    gates = [np.stack([line.get_ydata() for line in axes[g].get_lines()]) for g in ("input gate i", "output gate o")]
    assert all(((g > 0) & (g < 1)).all() for g in gates)
    assert "input gate i" in svg_texts(svg_root(str(tmp_path / "lstm.svg")))


def test_lstm_return_state_notebook_shape():
    lstm = layers.LSTM(1, return_state=True)
    figure = explore.layer(lstm, STEPS)
    out, h, c = (np.asarray(a) for a in lstm(STEPS))
    axes = axes_by_title(figure)
    np.testing.assert_allclose(axes["hidden state h"].get_lines()[0].get_ydata()[-1], h[0, 0], rtol=1e-5)
    np.testing.assert_allclose(axes["cell state c"].get_lines()[0].get_ydata()[-1], c[0, 0], rtol=1e-5)


class TwoHeadDotAttention(Layer):
    """A stand-in with MultiHeadAttention's call signature: head 0 softmax(q·kᵀ), head 1 uniform."""
    num_heads = 2

    def call(self, query, value, key=None, return_attention_scores=False):
        key = value if key is None else key
        scores = np.einsum("bqd,bkd->bqk", query, key)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        scores = np.stack([scores, np.full_like(scores, 1 / scores.shape[-1])], axis=1)
        out = np.einsum("bqk,bkd->bqd", scores[:, 0], value)
        return (out, scores) if return_attention_scores else out


def test_attention_scores_per_head():
    query = np.eye(3, 2, dtype="float32")[None]
    value = np.ones((1, 4, 2), "float32")
    figure = explore.layer(TwoHeadDotAttention(), [query, value])
    axes = axes_by_title(figure)
    assert list(axes) == ["head 0", "head 1"]
    assert [t.get_text() for t in axes["head 1"].texts] == ["0.25"] * 12   # 3 query x 4 key steps
    with pytest.raises(ValueError, match=r"\[query, value\]"):
        explore.layer(TwoHeadDotAttention(), query)


def test_model_one_panel_per_layer_output_in_graph_order(tmp_path):
    model = MODELS["multi_io"](keras)
    x = [np.ones((2, 3), "float32"), np.ones((2, 5), "float32")]
    figure = explore.model(model, x, to_file=tmp_path / "model.png")
    titles = [ax.get_title().split(" (")[0] for ax in figure.axes if ax.get_title()]
    assert titles == [layer.name for layer in model.layers]
    assert is_png(tmp_path / "model.png")


def test_model_values_match_predict_and_multi_output_layers():
    x = keras.Input((4, 1), name="steps")
    out, h, c = layers.LSTM(2, return_sequences=True, return_state=True, name="lstm")(x)
    model = keras.Model(x, layers.Dense(1, name="dense")(out))
    figure = explore.model(model, STEPS)
    axes = axes_by_title(figure)
    assert [t.split("\n")[0] for t in axes] == ["steps (InputLayer)", "lstm[0] (LSTM)", "lstm[1] (LSTM)",
                                                 "lstm[2] (LSTM)", "dense (Dense)"]
    dense_axes = next(ax for t, ax in axes.items() if t.startswith("dense"))
    expected = np.asarray(model.predict(STEPS, verbose=0))[0, :, 0]
    np.testing.assert_allclose([float(t.get_text()) for t in dense_axes.texts], expected, rtol=5e-3)


def test_explore_model_needs_a_built_model():
    with pytest.raises(ValueError, match="has not been built"):
        explore.model(keras.Sequential([layers.Dense(2)]), np.ones((1, 3)))


def test_sequential_shows_its_input_first_and_channels_tiled():
    model = keras.Sequential([keras.Input((4, 4, 1)), layers.Conv2D(4, 3, name="conv")])
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    figure = explore.model(model, x)
    axes = axes_by_title(figure)
    assert list(axes) == ["input\n(1, 4, 4, 1)", "conv (Conv2D)\n(1, 2, 2, 4)"]
    conv_panel = axes["conv (Conv2D)\n(1, 2, 2, 4)"].get_images()[0].get_array()
    assert conv_panel.shape == (5, 5)             # 2 x 2 channels of 2 x 2 cells, one blank line between
    np.testing.assert_allclose(conv_panel[3:, 3:], np.asarray(model.predict(x, verbose=0))[0, :, :, 3], rtol=1e-6)
