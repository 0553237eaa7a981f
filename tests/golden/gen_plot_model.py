"""Goldens for plot_model / model_to_dot: the boxes (Keras's HTML labels), edges and clusters that
Keras 3's ``model_to_dot`` makes for the models of ``_plot_models`` (needs pydot, not Graphviz)."""
import json

import keras

from _plot_models import CASES, MODELS, layer_names_by_id


def _nodes_and_clusters(graph, names, cluster=None, nodes=None, clusters=None):
    nodes = {} if nodes is None else nodes
    clusters = {} if clusters is None else clusters
    for node in graph.get_nodes():
        if node.get_name() in names:
            nodes[names[node.get_name()]] = node.get("label")
            if cluster is not None:
                clusters[cluster].append(names[node.get_name()])
    for sub in graph.get_subgraphs():
        label = sub.get("label").strip('"')
        clusters[label] = []
        _nodes_and_clusters(sub, names, label, nodes, clusters)
    return nodes, clusters


def _edges(graph, names):
    """Edges of the graph and of its clusters (a nested model's own edges sit in its cluster)."""
    edges = [[names[e.get_source()], names[e.get_destination()]] for e in graph.get_edges()]
    for sub in graph.get_subgraphs():
        edges += _edges(sub, names)
    return edges


def generate(data_dir):
    cases = []
    for name, options in CASES:
        model = MODELS[name](keras)
        names = layer_names_by_id(model)
        dot = keras.utils.model_to_dot(model, **options)
        nodes, clusters = _nodes_and_clusters(dot, names)
        edges = _edges(dot, names)
        cases.append({"model": name, "options": options, "nodes": nodes, "edges": edges, "clusters": clusters})
    (data_dir / "plot_model.json").write_text(json.dumps(cases, indent=1) + "\n", encoding="utf-8")
    return len(cases)
