"""Arrays as annotated grids: one sample is cut into 2-D panels (a panel per channel), and panels are
drawn as cells with their values printed when small, or as a heatmap with a colour bar when large."""
import math

import numpy as np

MAX_ANNOTATED_CELLS = 100   # a 10 x 10 panel still has room for its numbers
MAX_ANNOTATED_SIDE = 12
MAX_PANELS = 16             # channels beyond this are left out (the panel titles say which are shown)
CELL_INCHES = 0.42
HEATMAP_INCHES = 2.6


def format_value(value):
    """A cell's text: integers as integers (348, not 348.0), other values to 3 significant digits."""
    value = float(value)
    if math.isfinite(value) and value == round(value) and abs(value) < 1e6:
        return str(int(round(value)))
    return f"{value:.3g}"


def as_2d(array):
    """A panel's array as rows x columns: scalars and vectors become one row, higher ranks keep their
    last axis as columns."""
    array = np.asarray(array)
    if array.ndim < 2:
        return array.reshape(1, -1)
    return array.reshape(-1, array.shape[-1])


def channel_panels(sample, name):
    """An activation of one sample as panels: ``(title, 2-D array)``; rank >= 3 means channels last, one
    panel per channel; rank <= 2 is one panel (a sequence's steps are its rows)."""
    sample = np.asarray(sample)
    if sample.ndim <= 2:
        return [(name, as_2d(sample))]
    channels = sample.shape[-1]
    return [(f"{name}[..., {c}]", as_2d(sample[..., c]) if sample.ndim > 3 else sample[..., c])
            for c in range(min(channels, MAX_PANELS))]


def weight_panels(weight, name):
    """A weight as panels: its first two axes as the grid (vectors as one row), one panel per index of
    the axes after them (a conv kernel ``(kh, kw, in, out)`` gives one ``kh x kw`` panel per pair)."""
    weight = np.asarray(weight)
    if weight.ndim <= 2:
        return [(name, as_2d(weight))]
    panels = []
    for index in np.ndindex(weight.shape[2:]):
        if len(panels) == MAX_PANELS:
            break
        label = ", ".join(str(i) for i in index)
        panels.append((f"{name}[:, :, {label}]", weight[(slice(None), slice(None)) + index]))
    return panels


def annotate(panel):
    panel = np.asarray(panel)
    return panel.size <= MAX_ANNOTATED_CELLS and max(panel.shape) <= MAX_ANNOTATED_SIDE


def panel_inches(panel):
    """(width, height) a panel wants: a fixed size per cell when annotated, else a fixed heatmap."""
    rows, cols = np.asarray(panel).shape
    if annotate(panel):
        return max(cols * CELL_INCHES, 0.9), max(rows * CELL_INCHES, 0.5)
    aspect = rows / cols
    return HEATMAP_INCHES, min(max(HEATMAP_INCHES * aspect, 0.6), 2 * HEATMAP_INCHES)


def _aspect(rows, columns):
    """Square cells, except that a long strip is stretched to at least a quarter of its length."""
    if columns >= rows:
        return max(1.0, columns / (4 * rows))
    return 1 / max(1.0, rows / (4 * columns))


def draw_panel(ax, panel, title, figure=None, values=None):
    """Draw one panel into ``ax``: coloured cells, grid lines, and the values (``values``: by default
    when the panel is small) or else a colour bar (when ``figure`` is given)."""
    panel = np.asarray(panel, dtype=np.float64)
    values = annotate(panel) if values is None else values
    rows, cols = panel.shape
    finite = panel[np.isfinite(panel)]
    limit = float(np.max(np.abs(finite))) if finite.size else 1.0
    limit = limit or 1.0
    image = ax.imshow(panel, cmap="coolwarm", vmin=-limit, vmax=limit, aspect=_aspect(rows, cols),
                      interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if values:
        ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        size = 9 if max(len(format_value(v)) for v in panel.flat) <= 4 else 7
        for (r, c), value in np.ndenumerate(panel):
            if np.isnan(value):  # a gap between channels (explore.model's mosaics)
                continue
            ax.text(c, r, format_value(value), ha="center", va="center", fontsize=size, color="black")
    elif figure is not None:
        figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return image


def grid_shape(count):
    """(rows, columns) of a near-square arrangement of ``count`` panels."""
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def draw_groups(figure, groups, title):
    """Side-by-side groups of panels, e.g. ``[("input (1, 4, 4, 1)", panels), ("kernel", ...), ...]``,
    each a column of the figure; returns ``{panel title: axes}``. The figure is sized to fit."""
    sizes = []
    for _, panels in groups:
        rows, columns = grid_shape(len(panels))
        w = max(panel_inches(p)[0] for _, p in panels) + 0.3
        h = max(panel_inches(p)[1] for _, p in panels) + 0.45
        sizes.append((rows, columns, w, h))
    width = sum(columns * w for _, columns, w, _ in sizes) + 0.4
    title_height = 0.2 * (title.count("\n") + 1) + 0.2
    body_height = max(rows * h for rows, _, _, h in sizes) + 0.6
    title_width = 0.08 * max(len(line) for line in title.split("\n"))  # about 0.08 in per 10-pt character
    figure.set_size_inches(max(width, title_width, 4.0), title_height + body_height)
    head, body = figure.subfigures(2, 1, height_ratios=[title_height, body_height])
    head.text(0.5, 0.5, title, ha="center", va="center", fontsize=10)
    subfigures = body.subfigures(1, len(groups), width_ratios=[c * w for _, c, w, _ in sizes], squeeze=False)[0]
    axes = {}
    for subfigure, (group_title, panels), (rows, columns, _, _) in zip(subfigures, groups, sizes):
        subfigure.suptitle(group_title, fontsize=9, y=0.99, va="top")
        grid = subfigure.subplots(rows, columns, squeeze=False)
        subfigure.subplots_adjust(top=1 - 0.5 / body_height, bottom=0.1 / body_height)  # room for the group title
        for ax, (panel_title, panel) in zip(grid.flat, panels):
            draw_panel(ax, as_2d(panel) if np.ndim(panel) != 2 else panel, panel_title, subfigure)
            axes[panel_title] = ax
        for ax in list(grid.flat)[len(panels):]:
            ax.set_axis_off()
    return axes
