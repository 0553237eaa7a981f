"""``plot_model`` and ``model_to_dot`` with Keras 3's signatures, defaults and box labels
(keras/src/utils/model_visualization.py), but without pydot or Graphviz: the graph is laid out by
:mod:`nnkern.utils.graph_layout` and drawn with matplotlib; ``model_to_dot`` writes the DOT text
Keras would give Graphviz."""
import html
import os
from dataclasses import dataclass, field

from nnkern.engine import tree
from nnkern.engine.graph import make_node_key
from nnkern.models.functional import Functional
from nnkern.models.sequential import Sequential

_NESTED = (Functional, Sequential)


@dataclass
class NodeLabel:
    """What one box shows: a title row, an optional activation row, then a row of cells; each cell
    is ``(caption, value, colour)`` (Keras's HTML table, without the HTML); ``colspan`` is the width
    Keras gives the rows that span the table."""
    title: str
    activation: str = None
    cells: list = field(default_factory=list)
    colspan: int = 1


@dataclass
class ModelGraph:
    """Boxes (``labels[key]``, in graph order), edges between box keys, and for expanded nested models
    ``clusters[name] = (parent cluster or None, [box keys])``; ``cluster_of[key]`` is a box's cluster."""
    labels: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    clusters: dict = field(default_factory=dict)
    cluster_of: dict = field(default_factory=dict)


def _activation_name(layer):
    activation = layer.activation
    return getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(activation)


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {v}" for k, v in shape.items())
    return f"{shape}".replace("}", "").replace("{", "")


def layer_label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    """The box of one layer, with the rows Keras's ``make_layer_label`` puts in it."""
    class_name = layer.__class__.__name__
    label = NodeLabel(f"{layer.name} ({class_name})" if show_layer_names else class_name,
                      colspan=max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes)))
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        label.activation = _activation_name(layer)
    if show_shapes:
        input_shape = output_shape = None
        try:
            input_shape = tree.map_structure(lambda x: x.shape, layer.input)
            output_shape = tree.map_structure(lambda x: x.shape, layer.output)
        except (ValueError, AttributeError):
            pass
        if class_name != "InputLayer":
            label.cells.append(("Input shape", _format_shape(input_shape), "white"))
        label.cells.append(("Output shape", _format_shape(output_shape), "white"))
    if show_dtype:
        try:
            dtype = tree.map_structure(lambda x: x.dtype, layer.output)
        except (ValueError, AttributeError):
            dtype = None
        label.cells.append(("Output dtype", dtype or "?", "white"))
    if show_trainable and hasattr(layer, "trainable") and layer.weights:
        label.cells.append((None, "Trainable", "forestgreen") if layer.trainable
                           else (None, "Non-trainable", "firebrick"))
    return label


def _inner_end(model, output_index, outwards):
    """The box an edge into (``outwards=False``) or out of a nested model really attaches to."""
    while isinstance(model, _NESTED):
        if outwards:
            model, _, output_index = model.outputs[output_index]._keras_history
        elif isinstance(model, Functional):
            model = model.inputs[output_index]._keras_history.operation
        else:
            model = model.layers[0]
    return model


def build_graph(model, expand_nested=False, graph=None, cluster=None, **label_options):
    """The boxes and edges Keras's ``model_to_dot`` draws for ``model`` (nested models expanded into
    clusters when ``expand_nested``)."""
    graph = graph or ModelGraph()
    if isinstance(model, Sequential):
        layers = model.layers
    elif isinstance(model, Functional):
        layers = model._operations
    else:  # a subclassed model is one box
        layers = [model]
    for layer in layers:
        if expand_nested and isinstance(layer, _NESTED):
            graph.clusters[layer.name] = (cluster, [])
            build_graph(layer, expand_nested, graph, layer.name, **label_options)
        else:
            key = str(id(layer))
            graph.labels[key] = layer_label(layer, **label_options)
            graph.cluster_of[key] = cluster
            if cluster is not None:
                graph.clusters[cluster][1].append(key)
    if not isinstance(model, _NESTED):
        return graph
    if isinstance(model, Sequential):
        if not expand_nested:
            _add_edges(graph, [(a, b) for a, b in zip(layers, layers[1:])])
            return graph
        layers = layers[1:]  # the first layer's input is the InputLayer, which Sequential does not draw
    pairs = []
    for layer in layers:
        for inbound_index, node in enumerate(layer._inbound_nodes):
            if isinstance(model, Functional) and make_node_key(layer, inbound_index) not in model._nodes:
                continue  # a call of a shared layer outside this model
            for input_index, tensor in enumerate(node.input_tensors):
                history = getattr(tensor, "_keras_history", None)
                if history is None or history.operation is None:
                    continue
                source = history.operation._inbound_nodes[history.node_index].operation
                if expand_nested:
                    pairs.append((_inner_end(source, history.tensor_index, True),
                                  _inner_end(layer, input_index, False)))
                else:
                    pairs.append((source, layer))
    _add_edges(graph, pairs)
    return graph


def _add_edges(graph, pairs):
    for source, destination in pairs:
        edge = (str(id(source)), str(id(destination)))
        if edge[0] in graph.labels and edge[1] in graph.labels and edge not in graph.edges:
            graph.edges.append(edge)


# ---------------------------------------------------------------------- DOT text

def html_label(label):
    """Keras's HTML-like Graphviz table for one box."""
    colspan = label.colspan
    escape = html.escape
    name, _, class_part = label.title.partition(" (")
    title = f"<b>{escape(name)}</b>" + (f" ({escape(class_part)}" if class_part else "")
    rows = [f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}'
            "</font></td></tr>"]
    if label.activation:
        rows.append(f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
                    f"Activation: <b>{escape(label.activation)}</b></font></td></tr>")
    cells = []
    for caption, value, colour in label.cells:
        if caption is None:
            cells.append(f'<td bgcolor="{colour}"><font point-size="14" color="white"><b>{escape(value)}</b>'
                         "</font></td>")
        else:
            cells.append(f'<td bgcolor="{colour}"><font point-size="14">{escape(caption)}: '
                         f"<b>{escape(value)}</b></font></td>")
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">' + "".join(rows) + "</table>>"


class DotGraph:
    """What ``model_to_dot`` returns: the graph, its DOT text (``to_string()``, as pydot's), and
    ``create`` / ``write`` that render it without Graphviz (png, svg or pdf)."""

    def __init__(self, graph, graph_attributes, plot_options):
        self.graph = graph
        self.graph_attributes = graph_attributes
        self.plot_options = plot_options

    def to_string(self):
        graph = self.graph
        lines = ["digraph G {"]
        lines += [f"{k}={_dot_value(v)};" for k, v in self.graph_attributes.items()]
        lines.append("node [shape=record];")

        def node_lines(cluster, indent):
            out = []
            for key, label in graph.labels.items():
                if graph.cluster_of[key] == cluster:
                    out.append(f'{indent}{key} [label={html_label(label)}, fontname=Helvetica, border=0, margin=0];')
            for name, (parent, _) in graph.clusters.items():
                if parent == cluster:
                    out.append(f'{indent}subgraph "cluster_{name}" {{')
                    out.append(f'{indent}  label="{name}"; labeljust=l; style=dashed;')
                    out += node_lines(name, indent + "  ")
                    out.append(f"{indent}}}")
            return out

        lines += node_lines(None, "")
        lines += [f"{src} -> {dst} [penwidth=2];" for src, dst in graph.edges]
        lines.append("}")
        return "\n".join(lines) + "\n"

    __str__ = to_string

    def create(self, prog=None, format="png", encoding=None):
        """The picture as bytes (``prog`` is accepted for pydot's signature; nnkern lays out itself)."""
        import tempfile
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, f"graph.{format}")
            self.write(path, format=format)
            with open(path, "rb") as f:
                return f.read()

    def write(self, path, prog=None, format="raw", encoding=None):
        """Write the DOT text (``format="raw"`` or ``"dot"``) or the picture (png, svg, pdf)."""
        if format in ("raw", "dot"):
            with open(path, "w", encoding=encoding or "utf-8") as f:
                f.write(self.to_string())
            return True
        from nnkern.utils.graph_drawing import draw_graph
        draw_graph(self.graph, path, extension=format, **self.plot_options)
        return True


def _dot_value(value):
    return str(value).lower() if isinstance(value, bool) else f'"{value}"' if isinstance(value, str) else str(value)


def _check(model, kwargs, rankdir, splines):
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"plot_model: rankdir must be one of 'TB', 'LR', 'BT', 'RL'; received rankdir={rankdir!r}")
    if splines not in ("ortho", "curved", "polyline", "spline", "line", "true", "false", "none"):
        raise ValueError(f"plot_model: unknown splines={splines!r}; expected 'ortho', 'curved', 'polyline', "
                         "'spline' or 'line'")


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """The model's graph as Keras draws it, as a :class:`DotGraph` (``to_string()`` gives the DOT text)."""
    _check(model, kwargs, rankdir, splines)
    graph = build_graph(model, expand_nested, show_shapes=show_shapes, show_dtype=show_dtype,
                        show_layer_names=show_layer_names, show_layer_activations=show_layer_activations,
                        show_trainable=show_trainable)
    attributes = {"rankdir": rankdir, "concentrate": True, "dpi": dpi, "splines": splines}
    if subgraph:
        attributes = {"label": model.name, "labeljust": "l", "style": "dashed"}
    return DotGraph(graph, attributes, {"rankdir": rankdir, "dpi": dpi, "splines": splines})


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho", **kwargs):
    """Draw the model's graph to ``to_file`` (png, svg or pdf, from the extension; png without one).

    Keras 3's signature and defaults. Returns, as Keras does, an ``IPython.display.Image`` of the file
    when IPython is installed (an ``IPython.display.SVG`` for .svg, which Image cannot show; nothing
    for .pdf), else None.
    """
    _check(model, kwargs, rankdir, splines)
    from nnkern.utils.graph_drawing import draw_graph
    graph = build_graph(model, expand_nested, show_shapes=show_shapes, show_dtype=show_dtype,
                        show_layer_names=show_layer_names, show_layer_activations=show_layer_activations,
                        show_trainable=show_trainable)
    to_file = os.fspath(to_file)
    extension = draw_graph(graph, to_file, rankdir=rankdir, dpi=dpi, splines=splines)
    if extension == "pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    return display.SVG(filename=to_file) if extension == "svg" else display.Image(filename=to_file, format=extension)
