"""model_to_dot against Keras 3's (tests/golden/gen_plot_model.py): the same boxes with the same HTML
labels, the same edges between the same layers, the same clusters, for every model and option set."""
import json

import pytest

import nnkern as keras
from _golden_io import DATA_DIR
from _plot_models import MODELS, layer_names_by_id
from nnkern.utils.model_visualization import html_label

CASES = json.loads((DATA_DIR / "plot_model.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['model']}-{i}" for i, c in enumerate(CASES)])
def test_model_to_dot_matches_keras(case):
    model = MODELS[case["model"]](keras)
    names = layer_names_by_id(model)
    graph = keras.utils.model_to_dot(model, **case["options"]).graph
    assert {names[key]: html_label(label) for key, label in graph.labels.items()} == case["nodes"]
    assert sorted([names[a], names[b]] for a, b in graph.edges) == sorted(case["edges"])
    assert {cluster: [names[k] for k in keys] for cluster, (_, keys) in graph.clusters.items()} == case["clusters"]
