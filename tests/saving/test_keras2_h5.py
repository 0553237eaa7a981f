"""Genuine Keras 2 `.h5` files written by tf-keras 2.21 (tests/golden/gen_keras2_h5.py): TF-op nodes
(TFOpLambda / SlicingOpLambda), keyword tensors in inbound nodes (`initial_state` as Keras 2's list input,
`mask=`), nested models and shared layers at node indices > 0, `batch_input_shape`, regularizers and
constraints. nnkern loads each file and predicts tf-keras's outputs; the graph is tf-keras's."""
import io
import json

import h5py
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from nnkern.layers.tf_op_lambda import TF_FUNCTIONS
from nnkern.saving import MalformedFileError

CASES = load_cases("keras2_h5")
IDS = [case["id"] for case, _ in CASES]
BUDGET = 600 * 1024
# The TF functions tf-keras's keras.applications record (EfficientNet, EfficientNetV2, MobileNetV3,
# ResNetRS, ConvNeXt, RegNetX/Y, ResNet(V2), MobileNet(V2), DenseNet, NASNet, Inception(V3/ResNetV2),
# Xception, VGG built with weights=None and every TFOpLambda `function` listed).
APPLICATIONS_FUNCTIONS = {"__operators__.add", "math.multiply"}


def _inputs(case, arrays):
    xs = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    return xs if len(xs) > 1 else xs[0]


def _load(case, **kwargs):
    return nnkern.models.load_model(DATA_DIR / case["file"], **kwargs)


@pytest.mark.parametrize("case,arrays", CASES, ids=IDS)
def test_predicts_as_tf_keras(case, arrays):
    model = _load(case)
    ys = model.predict(_inputs(case, arrays), verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    assert len(ys) == case["n_outputs"]
    for i, got in enumerate(ys):
        want = arrays[f"y{i}"]
        assert got.shape == want.shape, f"output {i}"
        assert got.dtype.kind == want.dtype.kind, f"output {i}: {got.dtype} vs tf-keras {want.dtype}"
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{case['id']} output {i}")


@pytest.mark.parametrize("case,arrays", CASES, ids=IDS)
def test_structure_is_tf_keras(case, arrays):
    model = _load(case)
    # Keras 3 forbids '/' in layer names (it separates weight paths): nnkern renames it to '_'.
    assert [layer.name for layer in model.layers] == [n.replace("/", "_") for n in case["layer_names"]]
    assert [type(layer).__name__ for layer in model.layers] == case["layer_classes"]
    assert model.count_params() == case["count_params"]
    lines = []
    model.summary(line_length=250, print_fn=lines.append)
    for function in case["tf_functions"]:  # a row each, as tf-keras's summary names them
        assert any(f"tf.{function} (" in line and "Lambda)" in line for line in lines), function


def test_goldens_are_small():
    files = [DATA_DIR / case["file"] for case, _ in CASES]
    assert sum(f.stat().st_size for f in files) + (DATA_DIR / "keras2_h5.npz").stat().st_size < BUDGET


def test_every_table_function_is_checked_against_tf_keras():
    recorded = set().union(*(case["tf_functions"] for case, _ in CASES))
    assert APPLICATIONS_FUNCTIONS <= recorded
    assert recorded == set(TF_FUNCTIONS)  # no entry without a tf-keras golden


def _with_config(case, edit, tmp_path):
    """A copy of the case's file with its model_config edited by `edit(config)`."""
    data = (DATA_DIR / case["file"]).read_bytes()
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        edit(config)
        h5.attrs["model_config"] = json.dumps(config)
    path = tmp_path / "edited.h5"
    path.write_bytes(buffer.getvalue())
    return path


def _case(case_id):
    return next(case for case, _ in CASES if case["id"] == case_id)


def _op_layers(config):
    return [l for l in config["config"]["layers"] if l["class_name"] in ("TFOpLambda", "SlicingOpLambda")]


@pytest.mark.parametrize("function", ["math.bessel_i0", "io.write_file", "__builtins__.eval", "raw_ops.ReadFile"])
def test_unknown_function_is_refused_by_name(function, tmp_path):
    def edit(config):
        _op_layers(config)[0]["config"]["function"] = function
    path = _with_config(_case("hard_swish_blocks"), edit, tmp_path)
    for safe_mode in (True, False):
        with pytest.raises(MalformedFileError, match=f"TensorFlow function 'tf.{function}'"):
            nnkern.models.load_model(path, safe_mode=safe_mode)


def test_function_field_must_be_a_name(tmp_path):
    def edit(config):
        _op_layers(config)[0]["config"]["function"] = {"class_name": "function", "config": "system",
                                                       "module": "os"}
    path = _with_config(_case("hard_swish_blocks"), edit, tmp_path)
    with pytest.raises(ValueError, match="system"):
        nnkern.models.load_model(path)


@pytest.mark.parametrize("case_id", ["lstm_seq2seq", "tf_ops", "nested_shared", "keras2_names"])
def test_keras2_json_config_loads_through_model_from_json(case_id):
    # The file's model_config is Keras 2's model.to_json(): the same graph, weights set afterwards.
    case, arrays = CASES[IDS.index(case_id)]
    with h5py.File(DATA_DIR / case["file"], "r") as h5:
        model = nnkern.models.model_from_json(h5.attrs["model_config"])
    model.set_weights(_load(case).get_weights())
    ys = model.predict(_inputs(case, arrays), verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got.astype(np.float64), arrays[f"y{i}"].astype(np.float64), rtol=1e-4,
                                   atol=1e-5)
    again = nnkern.models.model_from_json(model.to_json())  # and back through nnkern's (Keras 3) JSON
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]


def test_seq2seq_inference_models_share_the_loaded_layers():
    # keras-io's seq2seq then builds encoder / decoder models from the loaded model's layers and tensors.
    case, arrays = CASES[IDS.index("lstm_seq2seq")]
    model = _load(case)
    encoder_in, decoder_in = model.inputs
    _, h, c = model.layers[2].output
    encoder = nnkern.Model(encoder_in, [h, c])
    h_in, c_in = nnkern.Input((6,)), nnkern.Input((6,))
    lstm, dense = model.layers[3], model.layers[4]
    out, h2, c2 = lstm(decoder_in, initial_state=[h_in, c_in])
    decoder = nnkern.Model([decoder_in, h_in, c_in], [dense(out), h2, c2])
    states = encoder.predict(arrays["x0"], verbose=0)
    y, _, _ = decoder.predict([arrays["x1"], *states], verbose=0)
    np.testing.assert_allclose(y, arrays["y0"], rtol=1e-4, atol=1e-5)


def test_regularizers_and_constraints_are_revived():
    case = _case("batch_input_shape_seq")
    model = _load(case)
    conv, dense = model.layers[0], model.layers[3]
    assert isinstance(conv.kernel_regularizer, nnkern.regularizers.L2)
    assert isinstance(conv.bias_constraint, nnkern.constraints.NonNeg)
    assert isinstance(dense.kernel_regularizer, nnkern.regularizers.L1L2)
    assert isinstance(dense.activity_regularizer, nnkern.regularizers.L2)
    assert dense.get_config()["kernel_constraint"] == {"module": "keras.constraints", "class_name": "MaxNorm",
                                                       "config": {"max_value": 2.0, "axis": 0},
                                                       "registered_name": None}
    assert model.layers[0]._batch_input_shape == (None, 10, 2)


def test_custom_regularizer_from_custom_objects(tmp_path):
    class Scaled(nnkern.regularizers.Regularizer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def get_config(self):
            return {"factor": self.factor}

    def edit(config):
        config["config"]["layers"][1]["config"]["kernel_regularizer"] = {"class_name": "Scaled",
                                                                          "config": {"factor": 3.0}}
    path = _with_config(_case("batch_input_shape_seq"), edit, tmp_path)
    with pytest.raises(MalformedFileError, match="Scaled"):
        nnkern.models.load_model(path)
    model = nnkern.models.load_model(path, custom_objects={"Scaled": Scaled})
    assert model.layers[0].kernel_regularizer.factor == 3.0


def test_k_function_on_a_loaded_graph():
    # K.function([inputs], [tensors]) gives the values tf-keras computed for those tensors (the shared
    # Dense at node index 1, the nested Sequential at node index 2).
    case, arrays = CASES[IDS.index("nested_shared")]
    model = _load(case)
    f = nnkern.backend.function(model.inputs, [model.outputs[2], model.outputs[3]])
    got = f([arrays["x0"], arrays["x1"]])
    np.testing.assert_allclose(got[0], arrays["y2"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], arrays["y3"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case_id", ["tf_ops", "lstm_seq2seq", "nested_shared", "explicit_mask"])
def test_saved_again_as_keras_file(case_id, tmp_path):
    # nnkern writes the loaded graph as a Keras 3 `.keras` file (TF-op nodes keep their class) and reads it.
    case, arrays = CASES[IDS.index(case_id)]
    _load(case).save(tmp_path / "again.keras")
    ys = nnkern.models.load_model(tmp_path / "again.keras").predict(_inputs(case, arrays), verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got.astype(np.float64), arrays[f"y{i}"].astype(np.float64), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("value", [{"class_name": "function", "config": "system", "module": "os"},
                                   {"class_name": "__lambda__", "config": {"code": "AAAA"}}])
def test_op_node_arguments_are_plain_data(value, tmp_path):
    # A TF-op node's keyword arguments (`y` of `x * y`) come from the file: safe_mode refuses functions there.
    def edit(config):
        op = _op_layers(config)[0]
        op["inbound_nodes"][0][3]["y"] = value
    path = _with_config(_case("hard_swish_blocks"), edit, tmp_path)
    with pytest.raises(nnkern.saving.UnsafeDeserializationError, match="inbound_nodes"):
        nnkern.models.load_model(path)
