"""``explore.model``: each layer's output for one sample, as a grid of small panels in graph order."""
import math

import numpy as np

from nnkern.explore import grids
from nnkern.models.functional import Functional
from nnkern.models.sequential import Sequential
from nnkern.utils.matplotlib_support import new_figure, save_figure

PANEL_INCHES = 2.4
MAX_ANNOTATED_CELLS = 36  # small panels: up to 6 x 6 (or 1 x 8) outputs still show their numbers
MAX_ANNOTATED_SIDE = 8


def layer_outputs(model, x):
    """``[(layer, [output arrays])]`` for every layer of the model, in the model's order (for a layer
    called more than once in the model, its first call)."""
    model_nodes = {node for nodes in model._nodes_by_depth.values() for node in nodes}
    calls = [(layer, next(n for n in layer._inbound_nodes if n in model_nodes)) for layer in model.layers
             if any(n in model_nodes for n in layer._inbound_nodes)]
    probe = Functional(model.inputs, [t for _, node in calls for t in node.output_tensors])
    outputs = probe.predict(x, verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    result, position = [], 0
    for layer, node in calls:
        count = len(node.output_tensors)
        result.append((layer, outputs[position:position + count]))
        position += count
    return result


def mosaic(sample):
    """One panel for a layer's output: channels tiled in a near-square grid with a NaN (blank) line
    between them, at most ``grids.MAX_PANELS`` channels."""
    sample = np.asarray(sample, dtype=np.float64)
    if sample.ndim < 3:
        return grids.as_2d(sample)
    channels = [grids.as_2d(sample[..., c]) for c in range(min(sample.shape[-1], grids.MAX_PANELS))]
    rows, columns = grids.grid_shape(len(channels))
    height, width = channels[0].shape
    canvas = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), np.nan)
    for index, channel in enumerate(channels):
        r, c = divmod(index, columns)
        canvas[r * (height + 1):r * (height + 1) + height, c * (width + 1):c * (width + 1) + width] = channel
    return canvas


def model(model, x, sample=0, to_file=None):
    """Run ``model`` on ``x`` and draw every layer's output for sample ``sample``, one small panel per
    output tensor in the model's layer order (channels side by side). Returns the matplotlib Figure;
    ``to_file`` also writes it."""
    if not model.built:
        raise ValueError(f"explore.model: the model {model.name} has not been built; call it on data or build() it")
    panels = []
    if isinstance(model, Sequential):  # its layers do not include the input: show it first
        first = np.asarray(x[0] if isinstance(x, (list, tuple)) else x)
        panels.append((f"input\n{first.shape}", mosaic(first[sample])))
    for layer, outputs in layer_outputs(model, x):
        for i, output in enumerate(outputs):
            suffix = f"[{i}]" if len(outputs) > 1 else ""
            panels.append((f"{layer.name}{suffix} ({type(layer).__name__})\n{tuple(output.shape)}",
                           mosaic(output[sample])))
    columns = math.ceil(math.sqrt(len(panels)))
    rows = math.ceil(len(panels) / columns)
    figure = new_figure("explore.model", figsize=(columns * PANEL_INCHES + 0.5, rows * PANEL_INCHES + 0.6))
    figure.suptitle(f"{model.name}: every layer's output for sample {sample}", fontsize=10)
    axes = list(figure.subplots(rows, columns, squeeze=False).flat)
    for ax, (title, panel) in zip(axes, panels):
        grids.draw_panel(ax, panel, title, values=panel.size <= MAX_ANNOTATED_CELLS and max(panel.shape) <= MAX_ANNOTATED_SIDE)
        ax.title.set_fontsize(8)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    figure.tight_layout()
    if to_file is not None:
        save_figure(figure, to_file)
    return figure
