"""Model API: predict (lists, dicts, 0 samples, batching, progress bar), model(x), get_layer, Sequential
add/pop, nested models, compile + evaluate, legacy merge modes and Keras 1 keywords."""
import numpy as np
import pytest

import nnkern as keras
import nnkern.backend as K
from nnkern import layers


@pytest.fixture(autouse=True)
def fresh_names():
    K.clear_session()


def two_input_model():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    s = layers.Dense(2, kernel_initializer="ones", name="proj")(a)
    return keras.Model([a, b], [layers.add([s, b]), layers.concatenate([a, b])], name="two")


X_A = np.arange(15, dtype=np.float32).reshape(5, 3)
X_B = np.ones((5, 2), dtype=np.float32)


def test_predict_with_list_and_dict_of_inputs():
    model = two_input_model()
    s, c = model.predict([X_A, X_B], verbose=0)
    np.testing.assert_array_equal(s, X_A.sum(1, keepdims=True) + X_B)
    np.testing.assert_array_equal(c, np.concatenate([X_A, X_B], 1))
    s2, c2 = model.predict({"a": X_A, "b": X_B}, verbose=0)
    np.testing.assert_array_equal(s2, s)
    np.testing.assert_array_equal(c2, c)
    with pytest.raises(ValueError, match="a.*b|structure"):
        model.predict({"a": X_A, "c": X_B}, verbose=0)


def test_predict_zero_samples_gives_empty_outputs_of_right_shape():
    model = two_input_model()
    s, c = model.predict([X_A[:0], X_B[:0]], verbose=0)
    assert s.shape == (0, 2) and c.shape == (0, 5)
    assert s.dtype == np.float32
    seq = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    assert seq.predict(np.zeros((0, 4)), verbose=0).shape == (0, 3)


@pytest.mark.parametrize("n,batch_size", [(1, None), (33, None), (33, 5), (7, 7), (8, 3), (100, 1)])
def test_predict_batching_does_not_change_results(n, batch_size):
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, layers.Dense(3, activation="tanh")(layers.Dense(5, activation="relu")(inp)))
    x = np.random.default_rng(n).normal(size=(n, 4)).astype(np.float32)
    w1, b1, w2, b2 = model.get_weights()
    expected = np.tanh(np.maximum(x @ w1 + b1, 0) @ w2 + b2)
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), expected, rtol=1e-5,
                               atol=1e-6)


def test_predict_mismatched_sample_counts_error():
    with pytest.raises(ValueError, match="cardinality|samples"):
        two_input_model().predict([X_A, X_B[:3]], verbose=0)


def test_predict_progress_bar(capsys):
    seq = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])
    seq.predict(np.zeros((10, 2)), batch_size=2, verbose=1)
    err = capsys.readouterr().err
    assert "5/5" in err
    seq.predict(np.zeros((10, 2)), batch_size=2, verbose=0)
    assert capsys.readouterr().err == ""


def test_direct_call_on_arrays_and_symbolic_tensors():
    model = two_input_model()
    s, c = model([X_A, X_B])
    np.testing.assert_array_equal(c, np.concatenate([X_A, X_B], 1))
    a2, b2 = keras.Input(shape=(3,)), keras.Input(shape=(2,))
    outs = model([a2, b2])
    assert [t.shape for t in outs] == [(None, 2), (None, 5)]
    reused = keras.Model([a2, b2], outs)
    np.testing.assert_array_equal(reused.predict([X_A, X_B], verbose=0)[0], s)
    assert reused.count_params() == model.count_params() == 8


def test_model_properties_and_get_layer():
    model = two_input_model()
    assert [t.shape for t in model.inputs] == [(None, 3), (None, 2)]
    assert [t.shape for t in model.outputs] == [(None, 2), (None, 5)]
    assert model.input[0] is model.inputs[0] and model.output[1] is model.outputs[1]
    index = [l.name for l in model.layers].index("proj")
    assert model.get_layer("proj") is model.get_layer(index=index) is model.layers[index]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 99"):
        model.get_layer(index=99)
    with pytest.raises(ValueError, match="only a layer name or a layer index"):
        model.get_layer(name="proj", index=1)
    config = model.get_config()
    assert config["name"] == "two" and [l["name"] for l in config["layers"]] == [l.name for l in model.layers]
    rebuilt = keras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict([X_A, X_B], verbose=0)[0], model.predict([X_A, X_B], verbose=0)[0])


def test_sequential_add_pop_and_build_from_data():
    model = keras.Sequential()
    model.add(layers.Dense(4, activation="relu"))
    model.add(layers.Dense(2))
    y = model.predict(np.ones((3, 5)), verbose=0)  # built from the data's shape
    assert y.shape == (3, 2) and model.input_shape[1:] == (5,)
    assert [l.name for l in model.layers] == ["dense", "dense_1"]
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape[1:] == (4,)
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(3, name="dense"))
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        model.add("dense")


def test_sequential_excludes_input_layer_and_functional_includes_it():
    seq = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    assert [type(l).__name__ for l in seq.layers] == ["Dense"]
    inp = keras.Input(shape=(3,))
    fn = keras.Model(inp, layers.Dense(2)(inp))
    assert [type(l).__name__ for l in fn.layers] == ["InputLayer", "Dense"]


def test_shared_layer_weights_are_shared():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    shared = layers.Dense(2, name="shared")
    model = keras.Model([a, b], layers.subtract([shared(a), shared(b)]))
    assert len(model.weights) == 2 and model.count_params() == 8
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict([x, x], verbose=0), 0, atol=1e-6)


def test_nested_model_weights_and_training_flag():
    inner_in = keras.Input(shape=(4,))
    inner = keras.Model(inner_in, layers.Dropout(0.5)(layers.Dense(4)(inner_in)), name="inner")
    inp = keras.Input(shape=(4,))
    outer = keras.Model(inp, layers.Dense(1)(inner(inp)))
    assert len(outer.get_weights()) == 4 and outer.layers[1] is inner
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(outer.predict(x, verbose=0), outer(x))


def test_compile_evaluate_with_metric_names_and_objects():
    from nnkern import metrics
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, layers.Dense(2, activation="softmax", kernel_initializer="zeros")(inp))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy", "mae"])
    y = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
    loss, acc, mae = model.evaluate(np.ones((3, 2)), y, verbose=0)
    np.testing.assert_allclose(loss, np.log(2), rtol=1e-5)  # uniform prediction
    assert acc == pytest.approx(2 / 3)  # ties go to the first class, as argmax
    np.testing.assert_allclose(mae, 0.5, rtol=1e-6)
    model.compile(loss="mse", metrics=[metrics.MeanAbsoluteError()])
    logs = model.evaluate(np.ones((3, 2)), y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mean_absolute_error"}
    np.testing.assert_allclose(logs["loss"], 0.25, rtol=1e-6)


def test_evaluate_without_compile_errors():
    inp = keras.Input(shape=(2,))
    with pytest.raises(ValueError, match="compile"):
        keras.Model(inp, layers.Dense(1)(inp)).evaluate(np.ones((1, 2)), np.ones((1, 1)), verbose=0)


# ---------------------------------------------------------------------- Keras 1 spellings

@pytest.mark.parametrize("mode,fn", [
    ("sum", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("ave", lambda a, b: (a + b) / 2),
    ("concat", lambda a, b: np.concatenate([a, b], -1)), ("max", np.maximum),
    ("dot", lambda a, b: (a * b).sum(-1, keepdims=True)),
    ("cos", lambda a, b: (a * b).sum(-1, keepdims=True) / np.linalg.norm(a, axis=-1, keepdims=True)
     / np.linalg.norm(b, axis=-1, keepdims=True)),
])
def test_legacy_merge_modes(mode, fn):
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    model = keras.Model(input=[a, b], output=layers.merge([a, b], mode=mode))
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), fn(xa, xb), rtol=1e-5, atol=1e-6)


def test_legacy_merge_callable_and_bad_mode():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    y = layers.merge([a, b], mode=lambda t: t[0] - 2 * t[1], output_shape=(3,))
    out = keras.Model([a, b], y).predict([np.ones((1, 3)), np.ones((1, 3))], verbose=0)
    np.testing.assert_array_equal(out, [[-1, -1, -1]])
    with pytest.raises(ValueError, match="mode"):
        layers.merge([a, b], mode="bogus")


def test_time_distributed_merge_modes_and_errors():
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    for mode, fn in (("sum", np.sum), ("mul", np.prod), ("ave", np.mean)):
        np.testing.assert_allclose(layers.TimeDistributedMerge(mode=mode)(x), fn(x, axis=1))
    with pytest.raises(ValueError, match="mode"):
        layers.TimeDistributedMerge(mode="max")
