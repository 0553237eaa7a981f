"""model.summary(): Keras 3's table, rendered to the same text Keras's `rich` table gives without colours.

Keras 3 builds a rich.table.Table (heavy head box, a line between rows, fixed column widths from
`positions`) and prints it through a rich Console; the layout rules reproduced here are rich's: column
widths reduced evenly (ratio_reduce) when they don't fit, words wrapped per rich's divide_line, words
longer than a column cut with "…", lines cropped to the console width.
"""
import math
import os
import re
import shutil
import sys
import unicodedata

import numpy as np

from nnkern.engine import tree


# ---------------------------------------------------------------------- rich's text layout, reproduced

def cell_len(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


def _set_cell_size(text, total):
    """Crop or pad `text` to exactly `total` cells."""
    out, used = [], 0
    for c in text:
        w = cell_len(c)
        if used + w > total:
            break
        out.append(c)
        used += w
    return "".join(out) + " " * (total - used)


_WORD = re.compile(r"\s*\S+\s*")


def _divide_line(text, width, fold):
    """rich._wrap.divide_line: offsets at which to break `text` into lines of at most `width` cells."""
    breaks = []
    offset = 0
    pos = 0
    while True:
        m = _WORD.match(text, pos)
        if m is None:
            break
        start, end = m.span()
        word = m.group(0)
        pos = end
        word_len = cell_len(word.rstrip())
        if width - offset >= word_len:
            offset += cell_len(word)
        elif word_len > width:
            if fold:
                chunks = _chop_cells(word, width)
                for i, chunk in enumerate(chunks):
                    if start:
                        breaks.append(start)
                    if i == len(chunks) - 1:
                        offset = cell_len(chunk)
                    else:
                        start += len(chunk)
            else:
                if start:
                    breaks.append(start)
                offset = cell_len(word)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(word)
    return breaks


def _chop_cells(text, width):
    lines, current, used = [], [], 0
    for c in text:
        w = cell_len(c)
        if used + w > width and current:
            lines.append("".join(current))
            current, used = [], 0
        current.append(c)
        used += w
    lines.append("".join(current))
    return lines


def _rstrip_end(line, size):
    """rich Text.rstrip_end: drop trailing whitespace that lies beyond `size` cells."""
    excess = len(line) - size
    if excess > 0:
        m = re.search(r"\s+$", line)
        if m:
            line = line[:len(line) - min(len(m.group(0)), excess)]
    return line


def _truncate(line, width, overflow, pad=False):
    length = cell_len(line)
    if length > width:
        line = _set_cell_size(line, width - 1) + "…" if overflow == "ellipsis" else _set_cell_size(line, width)
    if pad and length < width:
        line = line + " " * (width - length)
    return line


def wrap_text(text, width, justify="left", overflow="ellipsis"):
    """rich Text.wrap for one cell: a list of lines, each exactly `width` cells for left/right/center."""
    out = []
    for para in text.split("\n"):
        offsets = _divide_line(para, width, fold=(overflow == "fold"))
        cuts = [0] + offsets + [len(para)]
        lines = [_rstrip_end(para[a:b], width) for a, b in zip(cuts, cuts[1:])] or [""]
        for line in lines:
            if justify == "left":
                line = _truncate(line, width, overflow, pad=True)
            elif justify == "right":
                line = _truncate(line.rstrip(), width, overflow)
                line = " " * (width - cell_len(line)) + line
            elif justify == "center":
                line = _truncate(line.rstrip(), width, overflow)
                left = (width - cell_len(line)) // 2
                line = " " * left + line
                line = line + " " * (width - cell_len(line))
            else:  # rich's "default": no padding
                line = _truncate(line, width, overflow)
            out.append(line)
    return out


def _ratio_reduce(total, ratios, maximums, values):
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def render_table(headers, justify, column_widths, rows, table_width):
    """Lines of a rich Table(show_lines=True, box=HEAVY_HEAD, width=table_width) with fixed-width columns."""
    n = len(headers)
    max_width = table_width - (n + 1)
    widths = [min(w + 2, max_width) for w in column_widths]
    if sum(widths) > max_width:
        widths = _ratio_reduce(sum(widths) - max_width, [1] * n, widths, widths)
        widths = [min(w + 2, wi) for w, wi in zip(column_widths, widths)]

    def render_row(cells, left, sep, right):
        wrapped = [wrap_text(c, max(w - 2, 0), j) for c, w, j in zip(cells, widths, justify)]
        height = max(len(c) for c in wrapped)
        lines = []
        for i in range(height):
            parts = [" " + (col[i] if i < len(col) else " " * max(w - 2, 0)) + " "
                     for col, w in zip(wrapped, widths)]
            lines.append(left + sep.join(parts) + right)
        return lines

    lines = ["┏" + "┳".join("━" * w for w in widths) + "┓"]
    lines += render_row(headers, "┃", "┃", "┃")
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, row in enumerate(rows):
        if i:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
        lines += render_row(row, "│", "│", "│")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


def console_width():
    """The width rich's Console uses: $COLUMNS, else the terminal of stdin/stdout/stderr, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
    return 80


# ---------------------------------------------------------------------- Keras's summary content

def count_params(weights):
    return int(sum(math.prod(w.shape) for w in weights))


def _dtype_bits(dtype):
    name = str(dtype)
    if name == "bool":
        return 1
    if name == "string":
        return 0
    return np.dtype(name).itemsize * 8


def weight_memory_size(weights):
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _dtype_bits(w.dtype) for w in unique) / 8


def readable_memory_size(size):
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


def _format_shape(shape):
    return f"({', '.join(str(d) for d in shape)})"


def format_layer_shape(layer):
    if not layer._inbound_nodes and not layer._build_shapes_dict:
        return "?"
    if layer._inbound_nodes:
        outputs = layer._inbound_nodes[-1].output_tensors
        shapes = [_format_shape(x.shape) for x in outputs]
    else:
        try:
            out = layer.compute_output_shape(**layer._build_shapes_dict)
        except NotImplementedError:
            return "?"
        shapes = [_format_shape(s) for s in tree.flatten(tree.map_shape_structure(lambda s: [s], out))] \
            if not tree.is_shape_tuple(out) else [_format_shape(out)]
    if len(shapes) == 1:
        return shapes[0]
    return "[" + ", ".join(shapes) + "]"


def _layer_range_bounds(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list or tuple of length 2. Received: layer_range = {layer_range} "
                         f"of length {len(layer_range)}")
    if not all(isinstance(x, str) for x in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def summary_table(model, expand_nested=False, show_trainable=False, layer_range=None):
    """The table of Keras 3's summary: (header, justify, default positions, default line length, rows),
    each row a list of cell strings."""
    from nnkern.models.functional import Functional
    from nnkern.models.sequential import Sequential

    relevant_nodes = []
    if isinstance(model, Sequential) or not isinstance(model, Functional):
        sequential_like = True
        layers = model.layers
    else:
        layers = model._operations
        sequential_like = True
        nodes = []
        for v in model._nodes_by_depth.values():
            if len(v) > 1 or (len(v) == 1 and len(v[0].input_tensors) > 1):
                sequential_like = False
                break
            nodes += v
        if sequential_like:
            for layer in model.layers:
                seen = False
                for node in layer._inbound_nodes:
                    if node in nodes:
                        if seen:
                            sequential_like = False
                            break
                        seen = True
                if not sequential_like:
                    break
    if sequential_like:
        default_line_length = 88
        positions = [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        justify = ["left", "left", "right"]
    else:
        default_line_length = 108
        positions = [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
        for v in model._nodes_by_depth.values():
            relevant_nodes += v
    if show_trainable:
        default_line_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        justify.append("center")

    def connections(layer):
        parts = []
        for node in layer._inbound_nodes:
            if relevant_nodes and node not in relevant_nodes:
                continue
            for kt in node.input_tensors:
                history = getattr(kt, "_keras_history", None)
                if history is None or history.operation is None:
                    continue
                parts.append(f"{history.operation.name}[{history.node_index}][{history.tensor_index}]")
        return ", ".join(parts) if parts else "-"

    def fields(layer, prefix=""):
        name = f"{prefix}{layer.name} ({layer.__class__.__name__})"
        if not hasattr(layer, "built"):
            params = "0"
        elif not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{layer.count_params():,}"
        row = [name, format_layer_shape(layer), params]
        if not sequential_like:
            row.append(connections(layer))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def layer_rows(layer, level=0):
        rows = [fields(layer, "   " * level + "└ " if level else "")]
        if expand_nested and getattr(layer, "layers", None):
            for sub in layer.layers:
                rows.extend(layer_rows(sub, level + 1))
        return rows

    lo, hi = _layer_range_bounds(layers, layer_range)
    rows = []
    for layer in layers[lo:hi]:
        rows.extend(layer_rows(layer))
    return header, justify, positions, default_line_length, rows


def parameter_totals(model):
    """[(label, count, bytes)] for the total, trainable and non-trainable parameters."""
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    trainable_count, non_trainable_count = count_params(trainable), count_params(non_trainable)
    trainable_size, non_trainable_size = weight_memory_size(trainable), weight_memory_size(non_trainable)
    return [("Total params", trainable_count + non_trainable_count, trainable_size + non_trainable_size),
            ("Trainable params", trainable_count, trainable_size),
            ("Non-trainable params", non_trainable_count, non_trainable_size)]


def summary_text(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                 layer_range=None):
    """The exact text Keras 3's model.summary(print_fn=...) passes to print_fn."""
    header, justify, default_positions, default_line_length, rows = summary_table(
        model, expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)
    if positions and show_trainable:  # the given positions make room for the Trainable column, as in Keras
        positions = [p * 0.90 for p in positions] + [1.0]
    positions = positions or default_positions
    line_length = line_length or min(default_line_length, shutil.get_terminal_size().columns - 4)
    column_widths = []
    current = 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        column_widths.append(width)
        current += width

    width = console_width()
    lines = wrap_text(f'Model: "{model.name}"', width, justify="default", overflow="fold")
    lines += [line[:_crop_index(line, width)] for line in
              render_table(header, justify, column_widths, rows, line_length)]
    for label, count, size in parameter_totals(model):
        lines += wrap_text(f" {label}: {count:,} ({readable_memory_size(size)})", width, justify="default",
                           overflow="fold")
    return "\n".join(line.rstrip(" ") if not line.startswith(("┏", "┃", "┡", "│", "├", "└")) else line
                     for line in lines) + "\n"


def _crop_index(line, width):
    used = 0
    for i, c in enumerate(line):
        used += cell_len(c)
        if used > width:
            return i
    return len(line)


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    text = summary_text(model, line_length=line_length, positions=positions, expand_nested=expand_nested,
                        show_trainable=show_trainable, layer_range=layer_range)
    if print_fn is None:
        sys.stdout.write(text)
    else:
        print_fn(text)
