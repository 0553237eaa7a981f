"""Replays the layers_conv_rnn Keras goldens (tests/golden/gen_layers_conv_rnn.py) on nnkern layers."""
import json

import numpy as np

from _golden_io import load_cases
from nnkern import layers
from nnkern.models import Model

CASES = load_cases("layers_conv_rnn")


def cases_of(*class_names, kinds=("single",)):
    """pytest params (id, (case, arrays)) of the single-layer cases of these classes (or of other kinds)."""
    import pytest
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES
            if case["kind"] in kinds and (case["kind"] != "single" or case["class_name"] in class_names)]


def params_of_kind(cases, kind):
    """pytest params (id, (case, arrays)) of the cases of one kind ('single', 'model', ...)."""
    import pytest
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in cases if case["kind"] == kind]


def summary_at_golden_width(model, monkeypatch):
    """model.summary() as one string, at the 200 columns the goldens were made with (Keras's widths)."""
    monkeypatch.setenv("COLUMNS", "200")
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def jsonable(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def ordered(arrays, prefix, n):
    return [arrays[f"{prefix}{i}"] for i in range(n)]


def check_single(case, arrays):
    """Build the layer from the case's Keras arguments in a one-layer model, set Keras's weights, and
    compare outputs, symbolic shapes, weight names/shapes, parameter count and config with Keras."""
    layer = getattr(layers, case["class_name"])(**case["kwargs"])
    inp = layers.Input(shape=tuple(case["input_shape"]))
    out = layer(inp)
    model = Model(inp, out)
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert [list(t.shape) for t in outs] == case["output_shapes"]
    assert [w.path.split("/", 1)[1] for w in layer.weights] == \
        [p.split("/", 1)[1] for p in case["weight_paths"]]
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    assert layer.count_params() == case["params"]
    weights = ordered(arrays, "w", case["n_weights"])
    if case["set_weights"]:
        layer.set_weights(weights)
    else:  # deterministic initial weights (zeros / ones initializers)
        for got, want in zip(layer.get_weights(), weights):
            np.testing.assert_array_equal(got, want)
    x = arrays["x"]
    ys = model.predict(x) if len(x) else model(x)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    expected = ordered(arrays, "y", case["n_outputs"])
    assert len(ys) == len(expected)
    for y, e in zip(ys, expected):
        assert y.dtype == np.float32 and y.shape == e.shape
        close(y, e)
    ours, keras = jsonable(layer.get_config()), dict(case["config"])
    ours.pop("name"), keras.pop("name")
    assert ours == keras
