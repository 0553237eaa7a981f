"""``explore.layer``: run one layer on a small input and draw input, weights and output side by side;
for convolutions and pooling, optionally the input cells and kernel taps behind one output cell."""
import numpy as np

from nnkern.engine import tree
from nnkern.layers import LSTM
from nnkern.explore import grids
from nnkern.explore.formulas import formula
from nnkern.explore.receptive_field import contributions, padding_frame, window_of
from nnkern.utils.matplotlib_support import new_figure, save_figure

HIGHLIGHT = "black"


def run_layer(layer, x):
    """The layer's inputs and outputs for ``x`` as lists of numpy arrays (batch axis first)."""
    inputs = [np.asarray(a) for a in x] if isinstance(x, (list, tuple)) else [np.asarray(x)]
    if any(a.ndim == 0 for a in inputs):
        raise ValueError(f"explore.layer: {layer.name} needs batched arrays (batch axis first); received "
                         f"shapes {[a.shape for a in inputs]}")
    result = layer(inputs if isinstance(x, (list, tuple)) else inputs[0])
    return inputs, [np.asarray(y) for y in tree.flatten(result)]


def weight_name(weight):
    return (getattr(weight, "path", None) or weight.name).rsplit("/", 1)[-1]


def _shapes(arrays):
    shapes = [tuple(a.shape) for a in arrays]
    return str(shapes[0]) if len(shapes) == 1 else ", ".join(str(s) for s in shapes)


def title_of(layer, inputs, outputs, extra=""):
    """``name (Class): input shape → output shape``, then the formula (and ``extra`` lines)."""
    text = (f"{layer.name} ({type(layer).__name__}): input {_shapes(inputs)} → output {_shapes(outputs)}\n"
            f"{formula(layer)}")
    return text + (f"\n{extra}" if extra else "")


def _groups(layer, inputs, outputs, sample):
    names = ["x"] if len(inputs) == 1 else [f"x{i}" for i in range(len(inputs))]
    groups = [(f"{n} {a.shape}", grids.channel_panels(a[sample], n)) for n, a in zip(names, inputs)]
    for weight in layer.weights:
        array = np.asarray(weight)
        groups.append((f"{weight_name(weight)} {array.shape}", grids.weight_panels(array, weight_name(weight))))
    names = ["y"] if len(outputs) == 1 else [f"y{i}" for i in range(len(outputs))]
    groups += [(f"{n} {a.shape}", grids.channel_panels(a[sample], n)) for n, a in zip(names, outputs)]
    return groups


def layer(layer, x, cell=None, channel=0, sample=0, to_file=None):
    """Run ``layer`` on ``x`` (batched) and draw ``x``, the weights and the output as grids: values in the
    cells when small, heatmaps when large, a panel per channel; the title holds the shapes and the
    formula. Recurrent layers (LSTM) draw their gates and states over time, attention layers
    (``num_heads``) their scores per head.

    ``cell`` (conv / transposed conv / pooling only): a spatial index of the output, e.g. ``(0, 1)``;
    the input cells and kernel taps that make output ``y[sample, *cell, channel]`` are outlined (taps
    in the padding dashed). Returns the matplotlib Figure; ``to_file`` also writes it (png, svg, pdf).
    """
    from nnkern.explore import sequence_views
    if isinstance(layer, LSTM):
        figure = sequence_views.recurrent_figure(layer, x, sample)
    elif hasattr(layer, "num_heads"):
        figure = sequence_views.attention_figure(layer, x, sample)
    else:
        inputs, outputs = run_layer(layer, x)
        extra = ""
        window = window_of(layer)
        if window is not None:
            extra = (f"window {window[0]}, strides {window[1]}, dilation {window[2]}, padding '{window[3]}'")
        if cell is not None and window is None:
            raise ValueError(f"explore.layer: `cell` is for convolution and pooling layers; {layer.name} is a "
                             f"{type(layer).__name__}")
        if cell is not None:
            extra += f"; outlined: what makes y[{sample}, {', '.join(str(c) for c in np.atleast_1d(cell))}, {channel}]"
        figure = new_figure("explore.layer")
        axes = grids.draw_groups(figure, _groups(layer, inputs, outputs, sample), title_of(layer, inputs, outputs,
                                                                                           extra))
        if cell is not None:
            outline_contributions(layer, axes, inputs[0].shape[1:-1], outputs[0].shape, cell, channel)
    if to_file is not None:
        save_figure(figure, to_file)
    return figure


def _outline(ax, row, col, dashed=False):
    from matplotlib.patches import Rectangle
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor=HIGHLIGHT, linewidth=2.5,
                           linestyle="--" if dashed else "-", gid="outline", zorder=3))


def outline_contributions(layer, axes, input_spatial, output_shape, cell, channel):
    """Outline the output cell, the input cells read (dashed in the padding) and the kernel taps used."""
    cell = tuple(int(c) for c in np.atleast_1d(cell))
    rank = len(input_spatial)
    if rank not in (1, 2):
        raise ValueError(f"explore.layer: `cell` outlines 1-D and 2-D layers; {layer.name} has {rank} spatial axes")
    if any(not 0 <= c < n for c, n in zip(cell, output_shape[1:-1])) or not 0 <= channel < output_shape[-1]:
        raise ValueError(f"explore.layer: cell={cell}, channel={channel} is outside the output of shape "
                         f"{tuple(output_shape)}")
    pooling = hasattr(layer, "pool_size")
    transposed = window_of(layer)[4]
    pairs = contributions(layer, input_spatial, cell)

    def in_padding(index):
        return any(not 0 <= i < n for i, n in zip(index, input_spatial))

    def outline_row(ax, row, column, dashed):
        """A cell of a 2-D panel, or in a 1-D layer's (steps x channels) panel one channel or all of them."""
        columns = range(_columns(ax)) if column is None else [column]
        for c in columns:
            _outline(ax, row, c, dashed)

    frame = padding_frame(layer, input_spatial)
    for title, ax in axes.items():
        panel_channel = _panel_channel(title, "x")
        if panel_channel is None or (rank == 2 and pooling and panel_channel != channel):
            continue
        _show_padding(ax, frame if rank == 2 else frame + [(0, 0)], (*input_spatial, _columns(ax))[:2])
        for index, _ in pairs:
            if rank == 2:
                _outline(ax, index[0], index[1], in_padding(index))
            else:
                outline_row(ax, index[0], channel if pooling else None, in_padding(index))
    y_title = f"y[..., {channel}]" if rank == 2 else "y"
    if y_title in axes:
        _outline(axes[y_title], cell[0], cell[1] if rank == 2 else channel)
    for title, ax in axes.items():
        if pooling or not title.startswith("kernel["):
            continue
        # Panels are kernel[:, :, in, out] (Conv2D), kernel[:, :, out, in] (Conv2DTranspose),
        # kernel[:, :, out] of (taps x in) (Conv1D), kernel[:, :, in] of (taps x out) (Conv1DTranspose).
        indices = [int(i) for i in title[len("kernel[:, :, "):-1].split(", ")]
        if rank == 2 and (indices[0] if transposed else indices[1]) != channel:
            continue
        if rank == 1 and not transposed and indices[0] != channel:
            continue
        for index, tap in pairs:
            if rank == 2:
                _outline(ax, tap[0], tap[1], in_padding(index))
            else:
                outline_row(ax, tap[0], channel if transposed else None, in_padding(index))


def _columns(ax):
    return ax.get_images()[0].get_array().shape[1]


def _panel_channel(title, name):
    """The channel of an input panel title like ``x[..., 2]`` (0 for a single panel ``x``)."""
    if title == name:
        return 0
    prefix = f"{name}[..., "
    return int(title[len(prefix):-1]) if title.startswith(prefix) else None


def _show_padding(ax, frame, panel_shape):
    """Dashed outline of the padded input, with the view widened to show it."""
    from matplotlib.patches import Rectangle
    (top, bottom), (left, right) = frame
    if not any((top, bottom, left, right)):
        return
    height, width = panel_shape
    ax.add_patch(Rectangle((-left - 0.5, -top - 0.5), width + left + right, height + top + bottom, fill=False,
                           edgecolor="grey", linestyle=":", linewidth=1.5, gid="padding", zorder=3))
    ax.set_xlim(-left - 0.7, width - 0.3 + right)
    ax.set_ylim(height - 0.3 + bottom, -top - 0.7)
