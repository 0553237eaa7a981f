"""plot_model / model_to_dot on the notebooks' models: boxes, edges and labels counted in the SVG and
the DOT text (structure, not pixels), valid PNG / SVG / PDF files, Keras 3's arguments and errors."""
import re

import numpy as np
import pytest

import nnkern as keras
from nnkern import layers
from _plot_models import MODELS
from utils._picture_checks import is_pdf, is_png, svg_ids, svg_root, svg_texts

pytest.importorskip("matplotlib")


# (model, boxes, edges) as the graph has them: the shared Dense is one box fed by two edges; the
# nested model is one box (expanded below); an LSTM's three outputs leave one box.
CASES = {
    "flatten": (2, 1),
    "concatenate": (3, 2),
    "conv": (2, 1),
    "conv_transpose": (2, 1),
    "upsampling": (2, 1),
    "lstm_states": (2, 1),
    # a, b, da, db, shared, merge, inner, out2; a-da, b-db, da-shared, db-shared, shared-merge, shared-inner,
    # merge-out2 (the two shared->merge calls are one edge, as Keras draws them)
    "multi_io": (8, 7),
}


def multi_io_model():
    return MODELS["multi_io"](keras)


def concatenate_model():
    return MODELS["concatenate"](keras)


def conv_model():
    return MODELS["conv"](keras)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("extension", ["png", "svg"])
def test_notebook_models_render(tmp_path, name, extension):
    boxes, edges = CASES[name]
    model = MODELS[name](keras)
    path = tmp_path / f"{name}.{extension}"
    keras.utils.plot_model(model, str(path), show_shapes=True, show_layer_names=True)
    if extension == "png":
        assert is_png(path)
        return
    root = svg_root(str(path))
    assert len(svg_ids(root, "node-")) == boxes
    assert len(svg_ids(root, "edge-")) == edges
    texts = svg_texts(root)
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in texts


def test_labels_show_shapes_dtype_activation_trainable(tmp_path):
    model = multi_io_model()   # db is frozen
    path = tmp_path / "m.svg"
    keras.utils.plot_model(model, path, show_shapes=True, show_dtype=True, show_layer_names=True,
                           show_layer_activations=True, show_trainable=True)
    texts = svg_texts(svg_root(str(path)))
    assert "Input shape: [(None, 4), (None, 4)]" in texts   # the concatenation's two inputs
    assert "Output shape: (None, 8)" in texts
    assert "Output dtype: float32" in texts
    assert "Activation: relu" in texts
    assert texts.count("Trainable") == 4 and texts.count("Non-trainable") == 1  # da, shared, inner, out2; db
    assert "Input shape: (None, 3)" in texts and "InputLayer" not in " ".join(t for t in texts if "Input shape" in t)


def test_default_labels_are_class_names(tmp_path):
    """Keras 3's plot_model defaults to show_layer_names=False: boxes carry the class name only."""
    path = tmp_path / "m.svg"
    keras.utils.plot_model(concatenate_model(), path)
    texts = svg_texts(svg_root(str(path)))
    assert sorted(texts) == ["Concatenate", "InputLayer", "InputLayer"]


def test_expand_nested_draws_the_inner_layers_in_a_cluster(tmp_path):
    path = tmp_path / "m.svg"
    keras.utils.plot_model(multi_io_model(), path, expand_nested=True, show_layer_names=True)
    root = svg_root(str(path))
    texts = svg_texts(root)
    assert len(svg_ids(root, "cluster-")) == 1 and "inner" in texts
    assert "inner_in (InputLayer)" in texts and "inner_dense (Dense)" in texts
    assert "inner (Functional)" not in texts
    # 9 boxes; the edge into the nested model lands on its InputLayer: shared -> inner_in, inner_in -> inner_dense
    assert len(svg_ids(root, "node-")) == 9
    assert len(svg_ids(root, "edge-")) == 8


def test_nested_sequential_expanded(tmp_path):
    dot = keras.utils.model_to_dot(MODELS["nested_sequential"](keras), expand_nested=True).to_string()
    assert len(re.findall(r"->", dot)) == 3  # x -> s1 -> s2 -> head
    assert 'subgraph "cluster_seq"' in dot


def test_sequential_has_no_input_box(tmp_path):
    dot = keras.utils.model_to_dot(MODELS["sequential"](keras)).to_string()
    assert dot.count("[label=<") == 2 and dot.count("->") == 1


def test_model_to_dot_text_has_keras_labels():
    dot = keras.utils.model_to_dot(concatenate_model(), show_shapes=True)
    text = dot.to_string()
    assert text.startswith("digraph G {") and text.rstrip().endswith("}")
    assert 'rankdir="TB";' in text and "dpi=200;" in text and "concentrate=true;" in text
    assert '<font point-size="16" color="white"><b>a</b> (InputLayer)</font>' in text
    assert "Output shape: <b>(None, 8)</b>" in text and "Input shape: <b>[(None, 3), (None, 5)]</b>" in text
    assert text.count("->") == 2


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_model_to_dot_create_renders_without_graphviz(fmt):
    data = keras.utils.model_to_dot(conv_model()).create(prog="dot", format=fmt)
    if fmt == "svg":
        assert len(svg_ids(svg_root(data), "node-")) == 2
    else:
        assert data.startswith(b"\x89PNG" if fmt == "png" else b"%PDF-")


@pytest.mark.parametrize("rankdir", ["LR", "BT", "RL"])
def test_other_directions(tmp_path, rankdir):
    path = tmp_path / "m.svg"
    keras.utils.plot_model(multi_io_model(), path, rankdir=rankdir, splines="line")
    root = svg_root(str(path))
    assert len(svg_ids(root, "node-")) == 8 and len(svg_ids(root, "edge-")) == 7


def test_pdf_and_no_extension(tmp_path):
    assert keras.utils.plot_model(conv_model(), tmp_path / "m.pdf") is None
    assert is_pdf(tmp_path / "m.pdf")
    keras.utils.plot_model(conv_model(), str(tmp_path / "noext"))
    assert is_png(tmp_path / "noext")


def test_returns_an_ipython_image_when_ipython_is_there(tmp_path):
    result = keras.utils.plot_model(conv_model(), tmp_path / "m.png")
    try:
        from IPython import display
    except ImportError:
        assert result is None
    else:
        assert isinstance(result, display.Image)
        assert result.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments():
    model = conv_model()
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.utils.plot_model(model, "m.png", colour="red")
    with pytest.raises(ValueError, match="layer_range"):
        keras.utils.model_to_dot(model, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.plot_model(model, "m.png", rankdir="XY")
    unbuilt = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.plot_model(unbuilt, "m.png")


def test_subclassed_model_is_one_box():
    class Twice(keras.Model):
        def call(self, x):
            return x * 2

    model = Twice()
    model(np.ones((1, 3), "float32"))
    dot = keras.utils.model_to_dot(model).to_string()
    assert dot.count("[label=<") == 1 and "->" not in dot


def test_a_keras_tutorial_call_runs_unchanged(tmp_path, monkeypatch):
    """The functional-API guide's lines, with `import nnkern as keras`: a relative file in the cwd."""
    monkeypatch.chdir(tmp_path)
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    outputs = layers.Dense(10)(layers.Dense(64, activation="relu")(x))
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    keras.utils.plot_model(model, "my_first_model_with_shape_info.png", show_shapes=True)
    assert is_png(tmp_path / "my_first_model_with_shape_info.png")
