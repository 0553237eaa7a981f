"""explore.layer on the notebooks' examples: the values printed in the cells (read back from the
figure's axes and from the SVG), the panels per channel, the title; the outlined cells of a conv /
pooling output checked against the layer's own output (hypothesis over strides, padding, dilation)."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from nnkern import explore, layers
from nnkern.explore.receptive_field import contributions
from utils._picture_checks import is_png, svg_root, svg_texts

pytest.importorskip("matplotlib")

KERNEL_1_TO_9 = np.arange(1, 10, dtype="float32").reshape(3, 3, 1, 1)


def kernel_init(values):
    return lambda shape, dtype=None: np.asarray(values, "float32").reshape(shape)


def axes_by_title(figure):
    return {ax.get_title(): ax for ax in figure.axes if ax.get_title()}


def title_of(figure):
    """The figure's title: the text that names the layer's shapes (it may sit in a subfigure)."""
    from matplotlib.text import Text
    return next(t.get_text() for t in figure.findobj(Text) if "→" in t.get_text() or "units" in t.get_text())


def cell_texts(ax):
    return [t.get_text() for t in ax.texts]


def outlines(ax, dashed=None):
    """(row, col) of the outlined cells in a panel (dashed ones are in the padding)."""
    cells = []
    for patch in ax.patches:
        if patch.get_gid() != "outline" or (dashed is not None and (patch.get_linestyle() == "--") != dashed):
            continue
        x, y = patch.get_xy()
        cells.append((int(round(y + 0.5)), int(round(x + 0.5))))
    return sorted(cells)


def test_flatten_prints_the_values_and_one_panel_per_channel(tmp_path):
    x = np.arange(1, 25).reshape(2, 2, 2, 3)
    figure = explore.layer(layers.Flatten(name="flatten"), x, to_file=tmp_path / "flatten.svg")
    axes = axes_by_title(figure)
    assert sorted(t for t in axes if t.startswith("x")) == ["x[..., 0]", "x[..., 1]", "x[..., 2]"]
    assert cell_texts(axes["x[..., 0]"]) == ["1", "4", "7", "10"]
    assert cell_texts(axes["y"]) == [str(v) for v in range(1, 13)]
    title = title_of(figure)
    assert "flatten (Flatten): input (2, 2, 2, 3) → output (2, 12)" in title and "reshaped" in title
    texts = svg_texts(svg_root(str(tmp_path / "flatten.svg")))
    assert [str(v) for v in range(1, 13)] == [t for t in texts if t.isdigit()][-12:]


def test_concatenate_two_inputs(tmp_path):
    xa = np.array([[1, 1, 1], [2, 2, 2]])
    xb = np.array([[10] * 5, [20] * 5])
    figure = explore.layer(layers.Concatenate(), [xa, xb], sample=1, to_file=tmp_path / "c.png")
    axes = axes_by_title(figure)
    assert cell_texts(axes["x0"]) == ["2"] * 3 and cell_texts(axes["x1"]) == ["20"] * 5
    assert cell_texts(axes["y"]) == ["2"] * 3 + ["20"] * 5
    assert is_png(tmp_path / "c.png")


def test_conv2d_4x4_to_2x2_kernel_1_to_9(tmp_path):
    conv = layers.Conv2D(1, 3, kernel_initializer=kernel_init(KERNEL_1_TO_9))
    x = np.arange(1, 17, dtype="float32").reshape(1, 4, 4, 1)
    figure = explore.layer(conv, x, cell=(0, 1), to_file=tmp_path / "conv.svg")
    axes = axes_by_title(figure)
    assert cell_texts(axes["y[..., 0]"]) == ["348", "393", "528", "573"]   # the notebook's values
    assert cell_texts(axes["kernel[:, :, 0, 0]"]) == [str(v) for v in range(1, 10)]
    assert outlines(axes["x[..., 0]"]) == [(r, c) for r in range(3) for c in range(1, 4)]
    assert outlines(axes["kernel[:, :, 0, 0]"]) == [(r, c) for r in range(3) for c in range(3)]
    assert outlines(axes["y[..., 0]"]) == [(0, 1)]
    assert "393" in svg_texts(svg_root(str(tmp_path / "conv.svg")))


def test_conv2d_transpose_2x2_to_4x4(tmp_path):
    deconv = layers.Conv2DTranspose(1, 3, kernel_initializer=kernel_init(KERNEL_1_TO_9))
    y = np.array([348, 393, 528, 573], "float32").reshape(1, 2, 2, 1)
    figure = explore.layer(deconv, y, cell=(1, 1), to_file=tmp_path / "deconv.png")
    axes = axes_by_title(figure)
    expected = [348, 1089, 1830, 1179, 1920, 4941, 6783, 4077, 4548, 10467, 12309, 6975, 3696, 8235, 9336, 5157]
    assert cell_texts(axes["y[..., 0]"]) == [str(v) for v in expected]   # the notebook's values
    # y[1, 1] = 348·w[1,1] + 393·w[1,0] + 528·w[0,1] + 573·w[0,0] = 348·5 + 393·4 + 528·2 + 573·1 = 4941
    assert outlines(axes["x[..., 0]"]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert outlines(axes["kernel[:, :, 0, 0]"]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert is_png(tmp_path / "deconv.png")


def test_upsampling2d(tmp_path):
    data = np.array([[4, 2], [3, 6]], "float32").reshape(1, 2, 2, 1)
    figure = explore.layer(layers.UpSampling2D(size=(2, 2)), data, to_file=tmp_path / "up.svg")
    assert cell_texts(axes_by_title(figure)["y[..., 0]"]) == "4 4 2 2 4 4 2 2 3 3 6 6 3 3 6 6".split()
    assert not any(t.get_text() for ax in figure.axes for t in ax.texts if ax.get_title().startswith("kernel"))


def test_large_arrays_are_heatmaps_with_a_colour_bar():
    figure = explore.layer(layers.Conv2D(2, 3, padding="same"), np.random.rand(1, 20, 20, 3))
    axes = axes_by_title(figure)
    assert len(axes["x[..., 0]"].texts) == 0 and len(axes["y[..., 1]"].texts) == 0
    assert len(figure.axes) > len(axes)   # colour bars are axes without a title
    assert len(axes_by_title(figure)) == 3 + 3 * 2 + 1 + 2   # x channels, kernel (in, out) pairs, bias, y channels


def test_padding_taps_are_dashed():
    pool = layers.MaxPooling2D(3, strides=2, padding="same")
    figure = explore.layer(pool, np.random.rand(1, 4, 4, 2), cell=(0, 0), channel=1)
    axes = axes_by_title(figure)
    # 'same' pads 1 row / column at the bottom / right only for a 4 -> 2 output with window 3, stride 2
    assert outlines(axes["x[..., 1]"], dashed=False) == [(r, c) for r in range(3) for c in range(3)]
    assert outlines(axes["x[..., 0]"]) == []          # pooling works per channel
    figure = explore.layer(pool, np.random.rand(1, 4, 4, 2), cell=(1, 1), channel=0)
    assert len(outlines(axes_by_title(figure)["x[..., 0]"], dashed=True)) == 5


def test_bad_cell_arguments():
    with pytest.raises(ValueError, match="outside the output"):
        explore.layer(layers.Conv2D(1, 3), np.ones((1, 4, 4, 1)), cell=(2, 0))
    with pytest.raises(ValueError, match="convolution and pooling"):
        explore.layer(layers.Dense(2), np.ones((1, 3)), cell=(0,))
    with pytest.raises(ValueError, match="2 spatial axes"):
        explore.layer(layers.Conv2D(1, 3), np.ones((1, 4, 4, 1)), cell=(0,))


# ---------------------------------------------------------------------- outlined cells vs the layer

def _layer_cases():
    rank = st.sampled_from([1, 2])
    return st.tuples(st.sampled_from(["conv", "conv_transpose", "max", "avg"]), rank, st.integers(1, 3),
                     st.integers(1, 3), st.integers(1, 2), st.sampled_from(["valid", "same", "causal"]),
                     st.integers(3, 7), st.integers(0, 10 ** 6))


@settings(max_examples=80, deadline=None)
@given(_layer_cases())
def test_outlined_cells_make_the_output_cell(case):
    """The listed (input cell, tap) pairs recompute the output cell the layer gives, for every kind of
    padding, stride and dilation; an input cell not listed can change without changing that output."""
    kind, rank, window, stride, dilation, padding, length, seed = case
    if padding == "causal" and (rank == 2 or kind != "conv"):
        padding = "same"
    if kind != "conv":
        dilation = 1 if kind in ("max", "avg") or stride > 1 else dilation
    # A `valid` convolution whose dilated window is longer than the input has no output (Keras refuses it).
    assume(not (kind == "conv" and padding == "valid" and (window - 1) * (dilation if stride == 1 else 1) >= length))
    rng = np.random.default_rng(seed)
    spatial = (length,) * rank
    if kind == "conv":
        layer = (layers.Conv1D if rank == 1 else layers.Conv2D)(2, window, strides=stride, padding=padding,
                                                                 dilation_rate=dilation if stride == 1 else 1,
                                                                 bias_initializer="ones")
    elif kind == "conv_transpose":
        cls = layers.Conv1DTranspose if rank == 1 else layers.Conv2DTranspose
        layer = cls(2, window, strides=stride, padding=padding, bias_initializer="ones")
    else:
        cls = {("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
               ("avg", 1): layers.AveragePooling1D, ("avg", 2): layers.AveragePooling2D}[(kind, rank)]
        if window > length:
            window = length
        layer = cls(window, strides=stride, padding=padding)
    x = rng.standard_normal((1, *spatial, 3)).astype("float32")
    y = np.asarray(layer(x))
    cell = tuple(rng.integers(0, n) for n in y.shape[1:-1])
    channel = int(rng.integers(0, y.shape[-1]))
    pairs = contributions(layer, spatial, cell)
    inside = [(i, t) for i, t in pairs if all(0 <= a < n for a, n in zip(i, spatial))]
    if kind in ("conv", "conv_transpose"):
        kernel, bias = (np.asarray(w) for w in layer.weights)
        if kind == "conv":
            value = sum(x[(0, *i)] @ kernel[t][:, channel] for i, t in inside) + bias[channel]
        else:
            value = sum(kernel[t][channel] @ x[(0, *i)] for i, t in inside) + bias[channel]
    elif kind == "max":
        value = max(x[(0, *i, channel)] for i, _ in inside)
    else:
        value = np.mean([x[(0, *i, channel)] for i, _ in inside])
    np.testing.assert_allclose(value, y[(0, *cell, channel)], rtol=1e-4, atol=1e-4)
    # Change every input cell that is not listed: the output cell stays.
    listed = {i for i, _ in inside}
    changed = x.copy()
    for index in np.ndindex(spatial):
        if index not in listed:
            changed[(0, *index)] += 100.0
    np.testing.assert_allclose(np.asarray(layer(changed))[(0, *cell, channel)], y[(0, *cell, channel)],
                               rtol=1e-4, atol=1e-3)
