"""The prediction plan folds inference BatchNormalization into the Conv2D / DepthwiseConv2D / Dense before
it (with the activation layer after it in the kernel's epilogue): outputs stay Keras's (goldens from
tests/golden/gen_fusion.py) on the folded path, the patterns that must not fold are left alone, and the
folded weights follow later weight assignments."""
import numpy as np
import pytest

import nnkern
from nnkern.engine import plan as plan_module
from nnkern.engine.plan import batch_norm_folds, only_consumer_finder, padding_folds, residual_folds
from _golden_io import DATA_DIR, load_cases

CASES = load_cases("fusion")


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def _functional(model):
    return model._functional if hasattr(model, "_functional") else model


def _folds(model):
    f = _functional(model) if not hasattr(model, "_execution_nodes") else model
    return batch_norm_folds(f._execution_nodes, f._outputs)


def _residual_folds(model):
    f = _functional(model) if not hasattr(model, "_execution_nodes") else model
    return residual_folds(_folds(model), only_consumer_finder(f._execution_nodes, f._outputs))


def _padding_folds(model):
    f = _functional(model) if not hasattr(model, "_execution_nodes") else model
    return padding_folds(f._execution_nodes, _folds(model), only_consumer_finder(f._execution_nodes, f._outputs))


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_folded_model_predicts_as_keras(case, arrays):
    model = nnkern.models.load_model(DATA_DIR / case["file"])
    assert len(_folds(model)) == case["folds"]
    assert len(_residual_folds(model)) == case["residual_folds"]
    assert sorted(p.operation.name for p in _padding_folds(model).values()) == case["padded"]
    x, y = arrays["x"], arrays["y"]
    # The first call at a shape runs the layers one by one (their shape checks), later ones the folded kernels.
    for _ in range(3):
        _close(model.predict(x, verbose=0), y)
    _close(model(x), y)
    _close(model.predict(x[:1], verbose=0), y[:1])
    _close(model.predict(x[:1], verbose=0), y[:1])


def _unfolded(path, monkeypatch):
    """The model in `path` with plans compiled without folding: the layers' own calls one by one."""
    with monkeypatch.context() as m:
        m.setattr(plan_module, "batch_norm_folds", lambda nodes, outputs, only_consumer=None: {})
        model = nnkern.models.load_model(path)
        model._get_plan(None)
    return model


@pytest.mark.parametrize("case,arrays", [c for c in CASES if c[0]["id"] in ("cnn", "residual", "padding")],
                         ids=["cnn", "residual", "padding"])
def test_layers_one_by_one_agree_with_the_folded_plan(monkeypatch, case, arrays):
    path = DATA_DIR / case["file"]
    model, reference = nnkern.models.load_model(path), _unfolded(path, monkeypatch)
    assert len(model._get_plan(None).steps) < len(reference._get_plan(None).steps)
    x = np.random.default_rng(1).standard_normal((3,) + arrays["x"].shape[1:]).astype(np.float32)
    model.predict(x, verbose=0)
    _close(model.predict(x, verbose=0), reference.predict(x, verbose=0))


def test_folded_weights_follow_assignments(monkeypatch):
    case, arrays = CASES[0]
    path = DATA_DIR / case["file"]
    model, reference = nnkern.models.load_model(path), _unfolded(path, monkeypatch)
    x = arrays["x"]
    model.predict(x, verbose=0)
    model.predict(x, verbose=0)
    rng = np.random.default_rng(0)
    for name in ("stem_bn", "dw_bn", "fc_bn", "project"):
        weights = [w + rng.uniform(0.1, 0.3, w.shape).astype(np.float32) for w in model.get_layer(name).get_weights()]
        model.get_layer(name).set_weights(weights)
        reference.get_layer(name).set_weights(weights)
    _close(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert np.abs(model.predict(x, verbose=0) - arrays["y"]).max() > 1e-3  # the change did reach the output


def test_training_plan_does_not_fold():
    case, arrays = CASES[1]
    model = nnkern.models.load_model(DATA_DIR / case["file"])
    x = arrays["x"]
    bn = model.get_layer("bn")
    before = bn.moving_mean.numpy()
    model(x, training=True)  # batch statistics, and the moving mean moves
    assert not np.array_equal(bn.moving_mean.numpy(), before)


def test_a_user_subclass_is_not_folded():
    class LoudBatchNormalization(nnkern.layers.BatchNormalization):
        def call(self, inputs, training=None, mask=None):
            return super().call(inputs, training=training, mask=mask) + 1.0

    inp = nnkern.Input((4, 4, 2))
    out = LoudBatchNormalization()(nnkern.layers.Conv2D(3, 1)(inp))
    model = nnkern.Model(inp, out)
    assert not _folds(model)
    x = np.ones((1, 4, 4, 2), np.float32)
    model.predict(x, verbose=0)
    y = model.predict(x, verbose=0)
    _close(y, model.layers[2].call(model.layers[1].call(x)))
    _close(y - 1.0, nnkern.layers.BatchNormalization.call(model.layers[2], model.layers[1].call(x)))  # its call ran


def _residual_block():
    L = nnkern.layers
    inp = nnkern.Input((5, 5, 4))
    y = L.BatchNormalization(name="bn")(L.Conv2D(4, 3, padding="same", name="conv")(inp))
    out = L.Activation("relu", name="relu")(L.Add(name="add")([y, inp]))
    model = nnkern.Model(inp, out)
    bn = model.get_layer("bn")
    rng = np.random.default_rng(3)
    bn.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in bn.get_weights()])
    return model


def test_a_mask_reaching_a_residual_fold_runs_the_add_on_its_own(monkeypatch):
    model = _residual_block()
    assert len(_residual_folds(model)) == 1
    plan = model._get_plan(None, (True,))  # the model called with an input mask
    assert [tuple(n.operation.name for n in step.nodes) for step in plan.steps] == [
        ("conv", "bn"), ("add",), ("add",), ("relu",)]  # the Add's call and its output mask
    x = np.random.default_rng(4).standard_normal((2, 5, 5, 4)).astype(np.float32)
    mask = np.random.default_rng(5).uniform(size=(2, 5, 5)) > 0.5
    with monkeypatch.context() as m:
        m.setattr(plan_module, "batch_norm_folds", lambda nodes, outputs, only_consumer=None: {})
        reference = _residual_block()
        reference.set_weights(model.get_weights())
        want = reference._get_plan(None, (True,)).run([x], [mask])[0]
    model.predict(x, verbose=0)  # the layers' shape checks, then the folded kernels
    for _ in range(2):
        _close(plan.run([x], [mask])[0], want)
    _close(model.predict(x, verbose=0), want)


def test_a_residual_fold_is_one_step_at_its_add():
    L = nnkern.layers
    inp = nnkern.Input((6, 6, 8))
    shortcut = L.BatchNormalization(name="short_bn")(L.Conv2D(8, 1, name="short")(inp))
    y = L.BatchNormalization(name="bn")(L.Conv2D(8, 3, padding="same", name="conv")(inp))
    out = L.ReLU(name="relu")(L.Add(name="add")([shortcut, y]))
    model = nnkern.Model(inp, out)
    steps = [tuple(n.operation.name for n in step.nodes) for step in model._get_plan(None).steps]
    assert steps in ([("short", "short_bn"), ("conv", "bn", "add", "relu")],
                     [("conv", "bn"), ("short", "short_bn", "add", "relu")])
    x = np.random.default_rng(5).standard_normal((1, 6, 6, 8)).astype(np.float32)
    model.predict(x, verbose=0)
    want = np.maximum(model.get_layer("short_bn").call(model.get_layer("short").call(x))
                      + model.get_layer("bn").call(model.get_layer("conv").call(x)), 0)
    _close(model.predict(x, verbose=0), want)


def _residual_on_a_lambda(fn, filters=16):
    """relu(bn(conv(x)) + Lambda(fn)(x)): the residual fold's other input is the Lambda's output, which is
    dead after the fold (its only reader)."""
    L = nnkern.layers
    inp = nnkern.Input((16, 16, filters))
    shortcut = L.Lambda(fn, name="shortcut")(inp)
    y = L.BatchNormalization(name="bn")(L.Conv2D(filters, 3, padding="same", name="conv")(inp))
    model = nnkern.Model(inp, L.ReLU(name="relu")(L.Add(name="add")([y, shortcut])))
    bn = model.get_layer("bn")
    rng = np.random.default_rng(8)
    bn.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in bn.get_weights()])
    return model


def _residual_reference(model, x):
    conv, bn = model.get_layer("conv"), model.get_layer("bn")
    return np.maximum(bn.call(conv.call(x)) + model.get_layer("shortcut").call(x), 0)


def test_a_dead_residual_is_overwritten_by_the_sum():
    # The Lambda's output is a kernel output (over a cached block) that only the plan holds: the fold
    # writes its sum over it rather than into a new array (whose lines would be cold).
    addresses = []

    def shortcut(t):
        s = nnkern._core.activation(t, "tanh")
        addresses.append(s.ctypes.data)  # the address only: a reference would forbid the overwrite
        return s
    model = _residual_on_a_lambda(shortcut)
    x = np.random.default_rng(9).standard_normal((2, 16, 16, 16)).astype(np.float32)
    want = _residual_reference(model, x)
    model.predict(x, verbose=0)  # the layers' shape checks, then the folded kernels
    for _ in range(2):
        addresses.clear()
        y = model.predict(x, verbose=0)
        _close(y, want)
        assert y.ctypes.data == addresses[-1]


def test_a_residual_held_elsewhere_is_not_overwritten():
    # Arrays something else holds (a reference, a view of them, numpy's own memory) keep their values.
    kept = []

    def holding(t):
        s = nnkern._core.activation(t, "tanh")
        kept.append(s)
        return s

    def a_view(t):
        s = nnkern._core.activation(t, "tanh")
        kept.append(s[:, :1])
        return s

    def viewed(t):  # the Lambda's output is itself a view
        s = nnkern._core.activation(np.concatenate([t, t], axis=-1), "tanh")
        return s[..., :t.shape[-1]]
    x = np.random.default_rng(10).standard_normal((2, 16, 16, 16)).astype(np.float32)
    for fn in (holding, a_view, viewed, lambda t: np.tanh(t)):
        model = _residual_on_a_lambda(fn)
        want = _residual_reference(model, x)
        for _ in range(3):
            kept.clear()
            _close(model.predict(x, verbose=0), want)
            for a in kept:
                np.testing.assert_array_equal(a, nnkern._core.activation(x, "tanh")[:, :a.shape[1]])


def _expansion_block(size, pad):
    """MobileNetV2's expansion then depthwise convolution: 1x1 Conv2D 16 -> 64 + BN + ReLU6, then (with `pad`)
    ZeroPadding2D and a `valid` stride-2 DepthwiseConv2D, else a `same` stride-1 one, + BN + ReLU6."""
    L = nnkern.layers
    inp = nnkern.Input((size, size, 16))
    y = L.ReLU(6.0, name="expand_relu")(L.BatchNormalization(name="expand_bn")(
        L.Conv2D(64, 1, use_bias=False, name="expand")(inp)))
    if pad:
        y = L.ZeroPadding2D(((0, 1), (0, 1)), name="pad")(y)
    y = L.DepthwiseConv2D(3, strides=2 if pad else 1, padding="valid" if pad else "same", use_bias=False,
                          name="dw")(y)
    out = L.ReLU(6.0, name="dw_relu")(L.BatchNormalization(name="dw_bn")(y))
    model = nnkern.Model(inp, out)
    rng = np.random.default_rng(12)
    for name in ("expand_bn", "dw_bn"):
        bn = model.get_layer(name)
        bn.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in bn.get_weights()])
    return model


def _expansion_reference(model, x):
    y = x
    for layer in model.layers[1:]:
        y = layer.call(y)
    return y


@pytest.mark.parametrize("pad", [True, False])
@pytest.mark.parametrize("size,fused_calls", [(64, 1), (16, 0)])  # 64x64x64: 1 MiB expanded, it pays
def test_an_expansion_and_its_depthwise_run_as_one_step(monkeypatch, pad, size, fused_calls):
    calls = []
    fused = nnkern._core.expand_depthwise_conv2d
    monkeypatch.setattr(nnkern._core, "expand_depthwise_conv2d", lambda *a, **k: calls.append(1) or fused(*a, **k))
    model = _expansion_block(size, pad)
    steps = [tuple(n.operation.name for n in step.nodes) for step in model._get_plan(None).steps]
    assert steps == [("expand", "expand_bn", "expand_relu") + (("pad",) if pad else ()) + ("dw", "dw_bn", "dw_relu")]
    x = np.random.default_rng(13).uniform(-1, 1, (2, size, size, 16)).astype(np.float32)
    want = _expansion_reference(model, x)
    model.predict(x, verbose=0)  # the layers' shape checks, then the folded kernels
    calls.clear()
    _close(model.predict(x, verbose=0), want)
    assert len(calls) == fused_calls
    # Weights assigned later are folded again.
    dw = model.get_layer("dw")
    dw.set_weights([w * 0.5 for w in dw.get_weights()])
    _close(model.predict(x, verbose=0), _expansion_reference(model, x))


def test_an_expansion_read_elsewhere_is_not_fused():
    L = nnkern.layers
    inp = nnkern.Input((64, 64, 16))
    e = L.ReLU(6.0, name="expand_relu")(L.BatchNormalization(name="expand_bn")(L.Conv2D(64, 1, name="expand")(inp)))
    d = L.BatchNormalization(name="dw_bn")(L.DepthwiseConv2D(3, padding="same", name="dw")(e))
    model = nnkern.Model(inp, L.Add(name="add")([d, e]))
    steps = [tuple(n.operation.name for n in step.nodes) for step in model._get_plan(None).steps]
    assert ("expand", "expand_bn", "expand_relu") in steps
    x = np.random.default_rng(14).uniform(-1, 1, (1, 64, 64, 16)).astype(np.float32)
    model.predict(x, verbose=0)
    e_val = model.get_layer("expand_relu").call(model.get_layer("expand_bn").call(model.get_layer("expand").call(x)))
    want = model.get_layer("dw_bn").call(model.get_layer("dw").call(e_val)) + e_val
    _close(model.predict(x, verbose=0), want)


def _squeeze_excite_block(size, weights_first=False):
    """EfficientNet's squeeze-and-excitation, then its 1x1 projection (+ BN): the Multiply's product feeds only
    the projection."""
    L = nnkern.layers
    inp = nnkern.Input((size, size, 16))
    se = L.Reshape((1, 1, 16))(L.GlobalAveragePooling2D()(inp))
    se = L.Conv2D(16, 1, activation="sigmoid", name="se_expand")(L.Conv2D(4, 1, activation="swish")(se))
    scaled = L.Multiply(name="excite")([se, inp] if weights_first else [inp, se])
    out = L.BatchNormalization(name="bn")(L.Conv2D(8, 1, use_bias=False, name="project")(scaled))
    model = nnkern.Model(inp, out)
    bn = model.get_layer("bn")
    rng = np.random.default_rng(15)
    bn.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in bn.get_weights()])
    return model


@pytest.mark.parametrize("weights_first", [False, True])
@pytest.mark.parametrize("size,batch,scaled", [(16, 1, True), (16, 2, False), (5, 1, False)])
def test_a_squeeze_excitation_scales_the_projection_kernel(monkeypatch, weights_first, size, batch, scaled):
    # One image of at least 4 pixels per filter: the weights scale the kernel's rows, the product is never
    # made; more images, or fewer pixels: the Multiply then the convolution, in the same step.
    products = []
    multiply_channels = nnkern._core.multiply_channels
    monkeypatch.setattr(nnkern._core, "multiply_channels",
                        lambda *a: products.append(1) or multiply_channels(*a))
    model = _squeeze_excite_block(size, weights_first)
    steps = [tuple(n.operation.name for n in step.nodes) for step in model._get_plan(None).steps]
    assert ("project", "bn", "excite") in steps
    x = np.random.default_rng(16).uniform(-1, 1, (batch, size, size, 16)).astype(np.float32)
    se = model.get_layer("se_expand").output  # reference: the layers one by one
    se_model = nnkern.Model(model.inputs, se)
    want = model.get_layer("bn").call(model.get_layer("project").call(x * se_model.predict(x, verbose=0)))
    model.predict(x, verbose=0)
    products.clear()
    _close(model.predict(x, verbose=0), want)
    assert len(products) == (0 if scaled else 1)
