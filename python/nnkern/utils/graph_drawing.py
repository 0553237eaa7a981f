"""Draw a :class:`~nnkern.utils.model_visualization.ModelGraph` with matplotlib: boxes styled like
Keras's Graphviz tables (a black title row, white cells below), laid out by ``layered_layout``.

All lengths are in points (1/72 inch), so the figure is ``extent / 72`` inches and ``dpi`` only sets
the PNG's pixel density. In SVG, each box, edge and cluster is a group whose id is ``node-<i>``,
``edge-<i>`` or ``cluster-<i>`` (the tests count them)."""
from nnkern.utils.graph_layout import layered_layout
from nnkern.utils.matplotlib_support import new_figure, require_matplotlib, save_figure

TITLE_SIZE = 16   # Keras's point sizes
CELL_SIZE = 14
PADDING = 10      # Keras's cellpadding
NODE_GAP = 30
RANK_GAP = 45
MARGIN = 20
CLUSTER_PAD = 14


class _TextMeasure:
    """Width and height in points of a string at a font size, from the Agg renderer."""

    def __init__(self):
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.font_manager import FontProperties
        self._renderer = RendererAgg(1, 1, 72)
        self._fonts = {}
        self._properties = FontProperties

    def __call__(self, text, size, bold=False):
        key = (size, bold)
        if key not in self._fonts:
            self._fonts[key] = self._properties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
        width, height, _ = self._renderer.get_text_width_height_descent(text, self._fonts[key], ismath=False)
        return width, height


def _cell_text(cell):
    caption, value, _ = cell
    return value if caption is None else f"{caption}: {value}"


def _box_rows(label, measure):
    """The rows of one box as (height, [(text, width, colour, bold, size)]), and the box width."""
    title_w, title_h = measure(label.title, TITLE_SIZE, bold=True)
    rows = [(title_h + 2 * PADDING, [(label.title, title_w + 2 * PADDING, "black", True, TITLE_SIZE)])]
    if label.activation:
        text = f"Activation: {label.activation}"
        w, h = measure(text, CELL_SIZE)
        rows.append((h + 2 * PADDING, [(text, w + 2 * PADDING, "white", False, CELL_SIZE)]))
    if label.cells:
        cells = []
        for cell in label.cells:
            w, h = measure(_cell_text(cell), CELL_SIZE)
            cells.append((_cell_text(cell), w + 2 * PADDING, cell[2], cell[0] is None, CELL_SIZE))
        rows.append((h + 2 * PADDING, cells))
    width = max(sum(c[1] for c in cells) for _, cells in rows)
    return rows, width


def _draw_box(ax, index, centre, rows, width, patches):
    x0 = centre[0] - width / 2
    top = centre[1] - sum(h for h, _ in rows) / 2
    for row_index, (height, cells) in enumerate(rows):
        scale = width / sum(c[1] for c in cells)  # cells of a row share the box's width
        left = x0
        for text, cell_width, colour, bold, size in cells:
            cell_width *= scale
            rect = patches.Rectangle((left, top), cell_width, height, facecolor=colour, edgecolor="black",
                                     linewidth=1)
            if row_index == 0:
                rect.set_gid(f"node-{index}")
            ax.add_patch(rect)
            text_colour = "black" if colour == "white" else "white"
            ax.text(left + cell_width / 2, top + height / 2, text, ha="center", va="center", fontsize=size,
                    color=text_colour, fontweight="bold" if bold else "normal", family="DejaVu Sans")
            left += cell_width
        top += height


def _edge_points(route, size_from, size_to, vertical, sign, splines):
    """The polyline of one edge, from the side of its source box to the side of its destination
    (``sign`` is -1 when ranks run upwards or leftwards)."""
    (sx, sy), (dx, dy) = route[0], route[-1]
    if vertical:
        start, end = (sx, sy + sign * size_from[1] / 2), (dx, dy - sign * size_to[1] / 2)
    else:
        start, end = (sx + sign * size_from[0] / 2, sy), (dx - sign * size_to[0] / 2, dy)
    points = [start] + list(route[1:-1]) + [end]
    if splines != "ortho":
        return points
    elbows = [points[0]]
    for (ax_, ay), (bx, by) in zip(points, points[1:]):
        if vertical:
            mid = (ay + by) / 2
            elbows += [(ax_, mid), (bx, mid), (bx, by)]
        else:
            mid = (ax_ + bx) / 2
            elbows += [(mid, ay), (mid, by), (bx, by)]
    return elbows


def draw_graph(graph, to_file, rankdir="TB", dpi=200, splines="ortho", extension=None):
    """Lay out and draw ``graph`` into ``to_file`` (as ``extension``, by default the file's own);
    returns the format written."""
    require_matplotlib("plot_model")
    from matplotlib import patches
    measure = _TextMeasure()
    boxes = {key: _box_rows(label, measure) for key, label in graph.labels.items()}
    sizes = {key: (width, sum(h for h, _ in rows)) for key, (rows, width) in boxes.items()}
    vertical = rankdir in ("TB", "BT")
    # The layout always stacks ranks downwards; for LR / RL it is computed on swapped sizes and turned.
    layout = layered_layout(list(graph.labels), graph.edges,
                            (lambda k: sizes[k]) if vertical else (lambda k: sizes[k][::-1]),
                            node_gap=NODE_GAP, rank_gap=RANK_GAP)
    turn = (lambda p: p) if vertical else (lambda p: (p[1], p[0]))
    positions = {k: turn(p) for k, p in layout.positions.items()}
    width, height = turn((layout.width, layout.height))
    flip_x, flip_y = rankdir == "RL", rankdir == "BT"

    def place(p):
        return (width - p[0] if flip_x else p[0]), (height - p[1] if flip_y else p[1])

    positions = {k: place(p) for k, p in positions.items()}
    cluster_boxes = _cluster_boxes(graph, positions, sizes)
    left = min([0.0] + [b[0] for b in cluster_boxes.values()])
    top = min([0.0] + [b[1] for b in cluster_boxes.values()])
    right = max([width] + [b[2] for b in cluster_boxes.values()])
    bottom = max([height] + [b[3] for b in cluster_boxes.values()])
    extent_w, extent_h = right - left + 2 * MARGIN, bottom - top + 2 * MARGIN
    figure = new_figure("plot_model", figsize=(extent_w / 72, extent_h / 72))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(left - MARGIN, right + MARGIN)
    ax.set_ylim(bottom + MARGIN, top - MARGIN)  # y grows downwards, as the layout's ranks do
    ax.set_axis_off()
    for i, (name, (x0, y0, x1, y1)) in enumerate(cluster_boxes.items()):
        rect = patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--", edgecolor="black")
        rect.set_gid(f"cluster-{i}")
        ax.add_patch(rect)
        ax.text(x0 + 4, y0 + 3, name, ha="left", va="top", fontsize=CELL_SIZE, family="DejaVu Sans")
    for i, (src, dst) in enumerate(graph.edges):
        route = [place(turn(p)) for p in layout.routes[(src, dst)]]
        points = _edge_points(route, sizes[src], sizes[dst], vertical, -1 if flip_x or flip_y else 1, splines)
        xs, ys = zip(*points)
        (line,) = ax.plot(xs, ys, color="black", linewidth=2, solid_capstyle="butt")
        line.set_gid(f"edge-{i}")
        ax.annotate("", xy=points[-1], xytext=points[-2],
                    arrowprops=dict(arrowstyle="-|>", color="black", linewidth=2, shrinkA=0, shrinkB=0,
                                    mutation_scale=14))
    for i, (key, (rows, box_width)) in enumerate(boxes.items()):
        _draw_box(ax, i, positions[key], rows, box_width, patches)
    return save_figure(figure, to_file, dpi=dpi, extension=extension)


def _cluster_boxes(graph, positions, sizes):
    """(left, top, right, bottom) around each cluster's boxes and inner clusters, padded per level."""
    boxes = {}

    def box(name):
        if name in boxes:
            return boxes[name]
        edges = [(positions[k][0] - sizes[k][0] / 2, positions[k][1] - sizes[k][1] / 2,
                  positions[k][0] + sizes[k][0] / 2, positions[k][1] + sizes[k][1] / 2) for k in graph.clusters[name][1]]
        edges += [box(child) for child, (parent, _) in graph.clusters.items() if parent == name]
        if not edges:
            return None
        x0, y0 = min(e[0] for e in edges), min(e[1] for e in edges)
        x1, y1 = max(e[2] for e in edges), max(e[3] for e in edges)
        boxes[name] = (x0 - CLUSTER_PAD, y0 - CLUSTER_PAD - CELL_SIZE - 4, x1 + CLUSTER_PAD, y1 + CLUSTER_PAD)
        return boxes[name]

    for name in graph.clusters:
        box(name)
    return {k: v for k, v in boxes.items() if v is not None}
