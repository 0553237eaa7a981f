"""Functional models that call keras.ops, Python operators and slicing on symbolic tensors, written once
against the Keras 3 API: the generator (gen_symbolic_ops.py) builds them with `keras`, the tests build the
very same models with `nnkern` (`k` is the framework module) and compare config, summary and outputs.
Weights and inputs come from _layer_zoo.det (numpy only)."""
F, I = "float32", "int32"


def operators(k):
    """Arithmetic and comparison operators, constants on either side (keras-io's DDPG: `outputs * bound`)."""
    inp = k.Input((5,))
    x = k.layers.Dense(4, activation="tanh")(inp)
    a = x * 2.0 + 1.0
    b = 1.0 - x
    c = -x / 3.0
    d = 2.0 / (abs(x) + 1.0)
    e = x ** 2 - x // 0.5 + x % 0.25
    f = k.ops.where(x > 0.1, a, b)
    g = k.ops.cast((x >= 0.0) & (x < 0.5), "float32") + k.ops.cast(~(x <= -0.2) | (x != 0.3), "float32")
    return k.Model(inp, [a, b, c, d, e, f, g, (3.0 * x)[:, :2] @ k.ops.transpose(x[:, 1:3])])


def slicing(k):
    """GetItem keys: slices, negative steps, ints, Ellipsis, None (newaxis)."""
    inp = k.Input((6, 4))
    x = k.layers.Dense(4)(inp)
    outs = [x[:, 1:4], x[..., None], x[:, ::-1, 2], x[:, -1], x[:, :, ::2], x[:, None, 0:2], x[:, 4:1:-2, 1:],
            x[..., -1], x[:, 2]]
    return k.Model(inp, outs + [k.layers.Dense(3)(outs[0])])


def reductions(k):
    inp = k.Input((3, 4))
    x = k.layers.Dense(4)(inp)
    return k.Model(inp, [k.ops.mean(x, axis=1), k.ops.mean(x, axis=-1, keepdims=True), k.ops.sum(x, axis=(1, 2)),
                         k.ops.max(x, axis=1), k.ops.min(x, axis=-1, keepdims=True), k.ops.std(x, axis=1),
                         k.ops.var(x, axis=2), k.ops.logsumexp(x, axis=1), k.ops.argmax(x, axis=-1),
                         k.ops.prod(x, axis=1), k.ops.mean(x, axis=(1, 2))])


def elementwise(k):
    inp = k.Input((6,))
    x = k.layers.Dense(6)(inp)
    p = k.ops.abs(x) + 0.5
    return k.Model(inp, [k.ops.square(x), k.ops.sqrt(p), k.ops.exp(x), k.ops.log(p), k.ops.abs(x),
                         k.ops.clip(x, -0.3, 0.4), k.ops.maximum(x, 0.1), k.ops.minimum(x, p), k.ops.sign(x),
                         k.ops.floor(x * 4.0), k.ops.round(x * 4.0), k.ops.tanh(x), k.ops.sin(x), k.ops.power(p, 1.5),
                         k.ops.reciprocal(p), k.ops.log1p(p), k.ops.erf(x)])


def shapes(k):
    inp = k.Input((2, 3, 4))
    x = k.layers.Dense(4)(inp)
    y = k.ops.reshape(x, (-1, 6, 4))
    z = k.ops.expand_dims(y, 1)
    return k.Model(inp, [y, k.ops.transpose(x, (0, 3, 1, 2)), z, k.ops.squeeze(z, 1),
                         k.ops.concatenate([y, y * 2.0], axis=-1), k.ops.stack([y, -y], axis=1),
                         k.ops.tile(y, (1, 1, 2)), k.ops.repeat(y, 2, axis=1), k.ops.flip(y, axis=1),
                         k.ops.moveaxis(x, 1, 3), k.ops.swapaxes(x, 1, 2), k.ops.reshape(x, (-1, k.ops.shape(x)[1] * 12)),
                         y.reshape((-1, 24)), k.ops.squeeze(k.ops.expand_dims(x, -1), axis=-1)])


def products(k):
    a = k.Input((3, 4))
    b = k.Input((4, 5))
    x = k.layers.Dense(4)(a)
    return k.Model([a, b], [x @ b, k.ops.matmul(x, b), k.ops.einsum("bij,bjk->bik", x, b),
                            k.ops.einsum("bij,bij->bi", x, x), k.ops.tensordot(x, b, axes=[[2], [1]])])


def nn_ops(k):
    inp = k.Input((3, 5))
    x = k.layers.Dense(5)(inp)
    return k.Model(inp, [k.ops.softmax(x), k.ops.nn.softmax(x, axis=1), k.ops.relu(x), k.ops.sigmoid(x),
                         k.ops.gelu(x), k.ops.gelu(x, approximate=False), k.ops.silu(x), k.ops.log_softmax(x),
                         k.ops.leaky_relu(x, negative_slope=0.1), k.ops.elu(x), k.ops.softplus(x), k.ops.relu6(x * 8.0),
                         k.ops.hard_sigmoid(x), k.ops.normalize(x, axis=-1), k.ops.selu(x)])


def integer_ops(k):
    """Integer inputs: casts, comparisons, logical ops, one_hot, take with constant indices."""
    inp = k.Input((6,), dtype="int32")
    f = k.ops.cast(inp, "float32")
    mask = k.ops.logical_and(inp > 1, k.ops.not_equal(inp, 3))
    return k.Model(inp, [f * 0.5, k.ops.cast(mask, "int32"), k.ops.one_hot(inp, 5), k.ops.take(inp, [0, 2, 5], axis=1),
                         k.ops.where(mask, inp, -1), k.ops.logical_not(mask), k.ops.sum(inp, axis=1),
                         k.ops.any(mask, axis=-1), inp + 2, inp * inp])


def attention_like(k):
    """Scaled dot-product attention written with ops (what keras-io's transformer blocks compute)."""
    inp = k.Input((4, 6))
    q = k.layers.Dense(8, name="query")(inp)
    key = k.layers.Dense(8, name="key")(inp)
    v = k.layers.Dense(8, name="value")(inp)
    scores = k.ops.matmul(q, k.ops.transpose(key, (0, 2, 1))) / 8.0 ** 0.5
    weights = k.ops.softmax(scores, axis=-1)
    out = k.ops.matmul(weights, v)
    pooled = k.ops.mean(out, axis=1)
    return k.Model(inp, [k.layers.Dense(2, name="head")(pooled), weights])


MODELS = {
    "operators": (operators, [((5,), F, -1, 1)]),
    "slicing": (slicing, [((6, 4), F, -1, 1)]),
    "reductions": (reductions, [((3, 4), F, -1, 1)]),
    "elementwise": (elementwise, [((6,), F, -1, 1)]),
    "shapes": (shapes, [((2, 3, 4), F, -1, 1)]),
    "products": (products, [((3, 4), F, -1, 1), ((4, 5), F, -1, 1)]),
    "nn_ops": (nn_ops, [((3, 5), F, -1, 1)]),
    "integer_ops": (integer_ops, [((6,), I, 0, 5)]),
    "attention_like": (attention_like, [((4, 6), F, -1, 1)]),
}
