"""``explore.layer`` for sequence layers: an LSTM's gates and states over time as line plots, and an
attention layer's score matrix per head."""
import numpy as np

from nnkern.explore import grids
from nnkern.explore.formulas import formula
from nnkern.utils.matplotlib_support import new_figure

MAX_LINES = 8   # units drawn per plot; more would be unreadable


def lstm_traces(layer, x, sample=0):
    """``{name: (steps, units) array}`` for one sample: the input, the gates i, f, o, the candidate
    c̃ and the states c and h at every step, recomputed in numpy from the layer's weights (Keras's gate
    order i, f, c, o; steps in the order the layer reads them)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"explore.layer: {layer.name} takes (batch, steps, features); received shape {x.shape}")
    layer(x)  # builds the layer and checks the input as the layer itself does
    cell = layer.cell
    kernel, recurrent = np.asarray(cell.kernel), np.asarray(cell.recurrent_kernel)
    bias = np.asarray(cell.bias) if cell.use_bias else np.zeros(kernel.shape[1], np.float32)
    sequence = x[sample][::-1] if layer.go_backwards else x[sample]
    h = np.zeros(cell.units, np.float32)
    c = np.zeros(cell.units, np.float32)
    traces = {name: [] for name in ("input gate i", "forget gate f", "candidate c̃", "output gate o", "cell state c",
                                    "hidden state h")}
    for x_t in sequence:
        z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h @ recurrent + bias, 4)
        i, f, o = (np.asarray(cell.recurrent_activation(z)) for z in (z_i, z_f, z_o))
        candidate = np.asarray(cell.activation(z_c))
        c = f * c + i * candidate
        h = o * np.asarray(cell.activation(c))
        for name, value in zip(traces, (i, f, candidate, o, c, h)):
            traces[name].append(value)
    return {"input x": sequence, **{k: np.array(v) for k, v in traces.items()}}


def recurrent_figure(layer, x, sample=0):
    """Line plots over time: the input, each gate, the candidate, the cell and hidden states."""
    traces = lstm_traces(layer, x, sample)
    x = np.asarray(x)
    figure = new_figure("explore.layer", figsize=(11, 6.5))
    direction = " (read backwards)" if layer.go_backwards else ""
    figure.suptitle(f"{layer.name} ({type(layer).__name__}): input {x.shape}, {layer.cell.units} units{direction}\n"
                    f"{formula(layer)}", fontsize=10)
    axes = list(figure.subplots(3, 3, sharex=True).flat)
    for ax, (name, values) in zip(axes, traces.items()):
        steps = np.arange(values.shape[0])
        for unit in range(min(values.shape[1], MAX_LINES)):
            ax.plot(steps, values[:, unit], marker="o", markersize=3, label=f"{unit}")
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[len(traces):]:
        ax.set_axis_off()
    axes[0].legend(title="feature", fontsize=7, title_fontsize=7)
    axes[len(traces) - 1].legend(title="unit", fontsize=7, title_fontsize=7)
    for ax in axes[len(traces) - 3:len(traces)]:
        ax.set_xlabel("step")
        ax.xaxis.set_tick_params(labelbottom=True)
    return figure


def attention_figure(layer, x, sample=0):
    """The attention scores of one sample as a (query steps x key steps) grid per head."""
    if not isinstance(x, (list, tuple)) or len(x) not in (2, 3):
        raise ValueError(f"explore.layer: {layer.name} takes [query, value] or [query, value, key]")
    query, value = np.asarray(x[0]), np.asarray(x[1])
    key = np.asarray(x[2]) if len(x) == 3 else None
    _, scores = layer(query, value, key=key, return_attention_scores=True)
    scores = np.asarray(scores)[sample]
    scores = scores.reshape((-1,) + scores.shape[-2:])  # (heads, query steps, key steps)
    panels = [(f"head {h}", scores[h]) for h in range(min(len(scores), grids.MAX_PANELS))]
    figure = new_figure("explore.layer")
    title = (f"{layer.name} ({type(layer).__name__}): query {query.shape}, value {value.shape} → scores "
             f"{np.asarray(scores).shape} per sample\n{formula(layer)}\nrows: query steps, columns: key steps")
    grids.draw_groups(figure, [(f"attention scores, sample {sample}", panels)], title)
    return figure
