"""The layers and models of the `layers` / `models` goldens, written once against the Keras 3 API so that
the generator builds them with `keras` and the tests build the very same thing with `nnkern`.

Weights and inputs are not stored: `det()` makes them from a formula (numpy only), by position in
`get_weights()` order, so a weight-order difference between Keras and nnkern shows up as an output
difference. Every builder takes the framework module `k` (keras or nnkern) and starts from fresh auto-names
(clear_session) so layer names, and with them the summary text, match.
"""
import numpy as np

# Every activation keras.activations knows in Keras 3.15 that works by name ("threshold" needs arguments;
# "glu" halves the last axis: Activation only).
ACTIVATIONS = ["celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
               "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu",
               "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
               "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink"]

PREDICT_SIZES = (1, 3, 33)


def det(shape, seed, dtype="float32", low=-1.0, high=1.0):
    """Deterministic, irregular values in [low, high) (integers: in [low, high) too) for a shape."""
    n = int(np.prod(shape, dtype=np.int64))
    t = np.sin(np.arange(n, dtype=np.float64) * 1.7 + seed * 0.61) * 43758.5453
    u = t - np.floor(t)  # in [0, 1)
    if np.dtype(dtype).kind in "iu":
        return (np.floor(u * (high - low)) + low).astype(dtype).reshape(shape)
    return (u * (high - low) + low).astype(dtype).reshape(shape)


def det_weights(model_or_layer, seed=100, scale=0.5):
    """Deterministic weights in get_weights() order (integer seeds from the position)."""
    return [det(w.shape, seed + i, "float32", -scale, scale) for i, w in enumerate(model_or_layer.get_weights())]


def det_inputs(specs, n, seed=7):
    """Arrays for input specs [(per-sample shape, dtype, low, high), ...] with n samples."""
    return [det((n,) + tuple(shape), seed + 10 * i, dtype, low, high)
            for i, (shape, dtype, low, high) in enumerate(specs)]


# ---------------------------------------------------------------------- single-layer cases
# (id, class name, constructor kwargs, input specs); the case's model is Input(s) -> layer.

F = "float32"
I = "int32"


def _layer_cases():
    cases = []
    add = cases.append
    x35 = [((3, 5), F, -3, 3)]
    for act in ACTIVATIONS:
        add((f"activation_{act}", "Activation", {"activation": act}, [((2, 4), F, -3, 3)]))
        if act != "glu":
            add((f"dense_{act}", "Dense", {"units": 3, "activation": act}, [((5,), F, -2, 2)]))
    add(("dense_2d", "Dense", {"units": 4}, [((5,), F, -1, 1)]))
    add(("dense_3d", "Dense", {"units": 4}, x35))
    add(("dense_4d", "Dense", {"units": 2, "activation": "relu"}, [((2, 3, 5), F, -1, 1)]))
    add(("dense_nobias", "Dense", {"units": 4, "use_bias": False}, x35))
    add(("dense_int_input", "Dense", {"units": 2}, [((3,), I, 0, 9)]))
    add(("flatten_2d", "Flatten", {}, x35))
    add(("flatten_4d", "Flatten", {}, [((2, 2, 3), F, -1, 1)]))
    add(("flatten_int32", "Flatten", {}, [((2, 2, 3), I, 0, 99)]))
    add(("reshape_2_m1", "Reshape", {"target_shape": (2, -1)}, [((6,), F, -1, 1)]))
    add(("reshape_3_m1", "Reshape", {"target_shape": (3, -1)}, [((6,), F, -1, 1)]))
    add(("reshape_m1", "Reshape", {"target_shape": (-1,)}, x35))
    add(("reshape_3d", "Reshape", {"target_shape": (5, 1, 3)}, x35))
    add(("reshape_int32", "Reshape", {"target_shape": (3, 2)}, [((6,), I, 0, 99)]))
    add(("permute_21", "Permute", {"dims": (2, 1)}, x35))
    add(("permute_312", "Permute", {"dims": (3, 1, 2)}, [((2, 3, 4), F, -1, 1)]))
    add(("permute_int32", "Permute", {"dims": (2, 1)}, [((2, 3), I, 0, 99)]))
    add(("repeat_vector", "RepeatVector", {"n": 2}, [((3,), F, -1, 1)]))
    add(("repeat_vector_int32", "RepeatVector", {"n": 3}, [((3,), I, 0, 9)]))
    add(("masking_0", "Masking", {}, [((4, 3), F, 0, 2)]))
    add(("masking_1", "Masking", {"mask_value": 1.0}, [((4, 3), F, 1, 2)]))
    add(("dropout", "Dropout", {"rate": 0.5}, x35))
    add(("spatial_dropout1d", "SpatialDropout1D", {"rate": 0.5}, x35))
    add(("spatial_dropout2d", "SpatialDropout2D", {"rate": 0.5}, [((3, 3, 2), F, -1, 1)]))
    add(("activity_regularization", "ActivityRegularization", {"l1": 0.01, "l2": 0.01}, x35))
    add(("embedding", "Embedding", {"input_dim": 10, "output_dim": 3}, [((5,), I, 0, 10)]))
    add(("embedding_mask_zero", "Embedding", {"input_dim": 10, "output_dim": 3, "mask_zero": True},
         [((5,), I, 0, 4)]))
    add(("upsampling1d", "UpSampling1D", {"size": 2}, [((3, 2), F, -1, 1)]))
    add(("upsampling1d_3", "UpSampling1D", {"size": 3}, [((2, 2), F, -1, 1)]))
    add(("upsampling2d", "UpSampling2D", {"size": 2}, [((2, 2, 1), F, -1, 1)]))
    add(("upsampling2d_23", "UpSampling2D", {"size": (2, 3)}, [((2, 3, 2), F, -1, 1)]))
    add(("upsampling2d_cf", "UpSampling2D", {"size": 2, "data_format": "channels_first"},
         [((2, 2, 3), F, -1, 1)]))
    add(("upsampling2d_bilinear", "UpSampling2D", {"size": 2, "interpolation": "bilinear"},
         [((3, 4, 2), F, -1, 1)]))
    add(("upsampling2d_bilinear_31_cf", "UpSampling2D", {"size": (3, 1), "interpolation": "bilinear",
                                                          "data_format": "channels_first"}, [((2, 3, 4), F, -1, 1)]))
    add(("zeropadding1d", "ZeroPadding1D", {"padding": 1}, x35))
    add(("zeropadding1d_12", "ZeroPadding1D", {"padding": (1, 2)}, x35))
    add(("zeropadding2d", "ZeroPadding2D", {"padding": 1}, [((2, 3, 2), F, -1, 1)]))
    add(("zeropadding2d_asym", "ZeroPadding2D", {"padding": ((1, 0), (2, 1))}, [((2, 3, 2), F, -1, 1)]))
    add(("zeropadding2d_cf", "ZeroPadding2D", {"padding": (1, 2), "data_format": "channels_first"},
         [((2, 3, 2), F, -1, 1)]))
    add(("cropping1d", "Cropping1D", {"cropping": (1, 2)}, [((6, 2), F, -1, 1)]))
    add(("cropping1d_int", "Cropping1D", {"cropping": 1}, [((6, 2), F, -1, 1)]))
    add(("cropping2d", "Cropping2D", {"cropping": ((1, 0), (0, 2))}, [((4, 5, 2), F, -1, 1)]))
    add(("cropping2d_int", "Cropping2D", {"cropping": 1}, [((4, 5, 2), F, -1, 1)]))
    add(("cropping2d_cf", "Cropping2D", {"cropping": ((1, 1), (2, 0)), "data_format": "channels_first"},
         [((2, 4, 5), F, -1, 1)]))
    two = [((3, 4), F, -2, 2), ((3, 4), F, -2, 2)]
    for cls in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        add((f"merge_{cls.lower()}", cls, {}, two))
    add(("merge_add_three", "Add", {}, two + [((3, 4), F, -2, 2)]))
    add(("merge_add_int32", "Add", {}, [((3,), I, 0, 99)] * 3))
    add(("merge_maximum_int32", "Maximum", {}, [((3,), I, 0, 99)] * 2))
    add(("merge_average_int32", "Average", {}, [((3,), I, 0, 99)] * 2))
    add(("concatenate_last", "Concatenate", {}, [((3, 4), F, -1, 1), ((3, 2), F, -1, 1)]))
    add(("concatenate_axis1", "Concatenate", {"axis": 1}, [((3, 4), F, -1, 1), ((2, 4), F, -1, 1)]))
    add(("concatenate_int32", "Concatenate", {"axis": -1}, [((3,), I, 0, 9), ((5,), I, 10, 20)]))
    add(("dot_1", "Dot", {"axes": 1}, [((4,), F, -1, 1), ((4,), F, -1, 1)]))
    add(("dot_1_normalize", "Dot", {"axes": 1, "normalize": True}, [((4,), F, -1, 1), ((4,), F, -1, 1)]))
    add(("dot_22", "Dot", {"axes": (2, 2)}, [((3, 4), F, -1, 1), ((2, 4), F, -1, 1)]))
    add(("dot_11", "Dot", {"axes": (1, 1)}, [((3, 4), F, -1, 1), ((3, 5), F, -1, 1)]))
    add(("dot_12_normalize", "Dot", {"axes": [1, 2], "normalize": True}, [((3, 4), F, -1, 1), ((2, 3), F, -1, 1)]))
    for cls in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
        add((cls.lower(), cls, {}, x35))
        add((cls.lower() + "_keepdims", cls, {"keepdims": True}, x35))
        add((cls.lower() + "_cf", cls, {"data_format": "channels_first"}, x35))
    for cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        add((cls.lower(), cls, {}, [((3, 4, 2), F, -1, 1)]))
        add((cls.lower() + "_keepdims", cls, {"keepdims": True}, [((3, 4, 2), F, -1, 1)]))
        add((cls.lower() + "_cf", cls, {"data_format": "channels_first"}, [((3, 4, 2), F, -1, 1)]))
    # Integer inputs: which layers keep them integer and which compute in float32, as Keras does.
    i35 = [((3, 5), I, -9, 9)]
    add(("int32_activation_relu", "Activation", {"activation": "relu"}, i35))
    add(("int32_activation_linear", "Activation", {"activation": "linear"}, i35))
    add(("int32_dropout", "Dropout", {"rate": 0.5}, i35))
    add(("int32_masking", "Masking", {"mask_value": 0}, [((3, 2), I, 0, 2)]))
    add(("int32_upsampling1d", "UpSampling1D", {"size": 2}, i35))
    add(("int32_zeropadding1d", "ZeroPadding1D", {"padding": 1}, i35))
    add(("int32_cropping1d", "Cropping1D", {"cropping": (1, 0)}, i35))
    add(("int32_global_average_pooling1d", "GlobalAveragePooling1D", {}, i35))
    add(("int32_global_max_pooling1d", "GlobalMaxPooling1D", {}, i35))
    add(("int32_subtract", "Subtract", {}, i35 * 2))
    add(("int32_multiply", "Multiply", {}, i35 * 2))
    add(("int32_minimum", "Minimum", {}, i35 * 2))
    add(("int32_dot", "Dot", {"axes": 2}, i35 * 2))
    add(("int32_time_distributed_dense", "TimeDistributed", {"layer": ("Dense", {"units": 2})}, i35))
    add(("float_embedding_indices", "Embedding", {"input_dim": 10, "output_dim": 2}, [((4,), F, 0, 10)]))
    add(("time_distributed_dense", "TimeDistributed", {"layer": ("Dense", {"units": 3})}, [((4, 5), F, -1, 1)]))
    add(("time_distributed_dense_4d", "TimeDistributed", {"layer": ("Dense", {"units": 2, "activation": "tanh"})},
         [((2, 3, 4), F, -1, 1)]))
    add(("time_distributed_flatten", "TimeDistributed", {"layer": ("Flatten", {})}, [((2, 3, 4), F, -1, 1)]))
    return cases


LAYER_CASES = _layer_cases()


def make_layer(k, class_name, kwargs):
    kwargs = dict(kwargs)
    if "layer" in kwargs:
        inner_cls, inner_kwargs = kwargs.pop("layer")
        kwargs["layer"] = make_layer(k, inner_cls, inner_kwargs)
    return getattr(k.layers, class_name)(**kwargs)


def build_layer_case(k, case):
    """(model, layer) for a LAYER_CASES entry: Input(s) -> the layer (a list of inputs for merge layers)."""
    _, class_name, kwargs, specs = case
    k.backend.clear_session()
    inputs = [k.Input(shape=shape, dtype=dtype) for shape, dtype, _, _ in specs]
    layer = make_layer(k, class_name, kwargs)
    y = layer(inputs if len(inputs) > 1 else inputs[0])
    return k.Model(inputs if len(inputs) > 1 else inputs[0], y), layer


# ---------------------------------------------------------------------- models
# Each builder returns the model; MODEL_INPUTS gives its input specs (for predict and evaluate).

def notebook_mlp(k):
    inp = k.Input(shape=(64,))
    x = k.layers.Dense(200, activation="relu")(inp)
    x = k.layers.Dense(10, activation="softmax")(x)
    return k.Model(inp, x)


def notebook_dense_3d(k):
    inp = k.Input(shape=(64, 64))
    x = k.layers.Dense(100, activation="relu")(inp)
    x = k.layers.Dense(2)(x)
    return k.Model(inp, x)


def notebook_flatten(k):
    inp = k.Input(shape=(64, 64))
    x = k.layers.Dense(100)(inp)
    return k.Model(inp, k.layers.Flatten()(x))


def notebook_reshape(k):
    inp = k.Input(shape=(64,))
    x = k.layers.Dense(100)(inp)
    return k.Model(inp, k.layers.Reshape((10, 10))(x))


def notebook_concatenate(k):
    inp_1 = k.Input(shape=(6, 6, 3))
    inp_2 = k.Input(shape=(6, 6, 3))
    return k.Model([inp_1, inp_2], k.layers.Concatenate(axis=3)([inp_1, inp_2]))


def notebook_embedding(k):
    inp = k.Input(shape=(10,))
    return k.Model(inp, k.layers.Embedding(input_dim=1000, output_dim=5)(inp))


def notebook_int32_flatten(k):
    l0 = k.Input(shape=(2, 2, 3), dtype="int32")
    return k.Model(l0, k.layers.Flatten()(l0))


def notebook_int32_concatenate(k):
    a = k.Input(shape=(3,), dtype="int32", name="a")
    b = k.Input(shape=(5,), dtype="int32", name="b")
    return k.Model([a, b], k.layers.concatenate([a, b], axis=-1))


def notebook_int32_add(k):
    a = k.Input(shape=(3,), dtype="int32", name="a")
    b = k.Input(shape=(3,), dtype="int32", name="b")
    c = k.Input(shape=(3,), dtype="int32", name="c")
    return k.Model([a, b, c], k.layers.add([a, b, c]))


def multi_input(k):
    a = k.Input(shape=(3,), name="a")
    b = k.Input(shape=(5,), name="b")
    hb = k.layers.Dense(4, activation="relu", name="b_hidden")(b)
    x = k.layers.concatenate([a, hb])
    x = k.layers.Dense(6, activation="tanh")(x)
    return k.Model([a, b], k.layers.Dense(2)(x), name="two_inputs")


def multi_output(k):
    inp = k.Input(shape=(6,))
    h = k.layers.Dense(8, activation="relu")(inp)
    cls = k.layers.Dense(3, activation="softmax", name="cls")(h)
    reg = k.layers.Dense(1, name="reg")(h)
    return k.Model(inputs=inp, outputs=[cls, reg])


def siamese(k):
    left = k.Input(shape=(5,), name="left")
    right = k.Input(shape=(5,), name="right")
    shared = k.layers.Dense(4, activation="relu", name="shared")
    diff = k.layers.subtract([shared(left), shared(right)])
    dist = k.layers.Lambda(lambda t: k.ops.abs(t), name="abs_diff")(diff)
    return k.Model([left, right], k.layers.Dense(1, activation="sigmoid")(dist))


def nested(k):
    inner_in = k.Input(shape=(4,))
    inner = k.Model(inner_in, k.layers.Dense(3, activation="relu")(inner_in), name="inner")
    head = k.Sequential([k.Input(shape=(3,)), k.layers.Dense(2)], name="head")
    inp = k.Input(shape=(4,))
    x = inner(inp)
    y = head(x)
    return k.Model(inp, [y, k.layers.Dense(1)(x)], name="outer")


def sequential(k):
    return k.Sequential([k.Input(shape=(5,)), k.layers.Dense(8, activation="relu"), k.layers.Dropout(0.2),
                         k.layers.Dense(3, activation="softmax")])


def sequential_add(k):
    model = k.Sequential(name="stack")
    model.add(k.Input(shape=(4, 3)))
    model.add(k.layers.Flatten())
    model.add(k.layers.Dense(5, activation="tanh", name="hidden"))
    model.add(k.layers.RepeatVector(2))
    model.add(k.layers.TimeDistributed(k.layers.Dense(2)))
    return model


def sequential_embedding(k):
    return k.Sequential([k.Input(shape=(6,), dtype="int32"), k.layers.Embedding(20, 4, mask_zero=True),
                         k.layers.GlobalAveragePooling1D(), k.layers.Dense(2)])


def sequential_input_shape(k):
    return k.Sequential([k.layers.Dense(8, activation="relu", input_shape=(5,)), k.layers.Dense(3)])


def float64_input(k):
    inp = k.Input(shape=(3,), dtype="float64")
    h = k.layers.Dense(2)(inp)
    return k.Model(inp, [h, k.layers.Flatten()(inp), k.layers.Activation("relu")(inp)])


def int32_merges(k):
    a = k.Input(shape=(2, 3), dtype="int32")
    b = k.Input(shape=(2, 3), dtype="int32")
    s = k.layers.Add()([a, b])
    m = k.layers.Maximum()([a, b])
    c = k.layers.Concatenate()([k.layers.Flatten()(s), k.layers.Flatten()(m)])
    r = k.layers.RepeatVector(2)(c)
    return k.Model([a, b], [r, k.layers.Permute((2, 1))(s)])


def masking_time_distributed(k):
    inp = k.Input(shape=(4, 3))
    x = k.layers.Masking(mask_value=0.0)(inp)
    x = k.layers.TimeDistributed(k.layers.Dense(2))(x)
    return k.Model(inp, k.layers.GlobalAveragePooling1D()(x))


def embedding_mask_chain(k):
    inp = k.Input(shape=(5,), dtype="int32")
    e = k.layers.Embedding(10, 3, mask_zero=True)(inp)
    y = k.layers.GlobalAveragePooling1D()(e)
    x = k.layers.Masking()(k.layers.RepeatVector(2)(y))
    return k.Model(inp, [k.layers.Dense(1)(x), k.layers.TimeDistributed(k.layers.Dense(2))(x)])


def dict_inputs(k):
    inputs = {"x": k.Input(shape=(3,), name="x"), "y": k.Input(shape=(2,), name="y")}
    z = k.layers.Concatenate()([inputs["x"], inputs["y"]])
    return k.Model(inputs, k.layers.Dense(2)(z))


def multi_output_lambda(k):
    inp = k.Input(shape=(4, 4))
    rows = [k.layers.Lambda(lambda x, i=i: x[:, i, :])(inp) for i in range(4)]
    pair = k.layers.Lambda(lambda x: [x * 2.0, x + 1.0], name="pair")(rows[0])
    return k.Model(inp, [k.layers.Concatenate()(rows), k.layers.Average()(rows), k.layers.Add()(rows),
                         k.layers.Add()(pair)])


def reshaping_chain(k):
    inp = k.Input(shape=(6,))
    x = k.layers.Reshape((3, 2))(inp)
    x = k.layers.UpSampling1D(2)(x)
    x = k.layers.ZeroPadding1D((1, 0))(x)
    x = k.layers.Cropping1D((0, 1))(x)
    x = k.layers.Reshape((2, 3, 2))(x)
    x = k.layers.UpSampling2D((1, 2))(x)
    x = k.layers.ZeroPadding2D(1)(x)
    x = k.layers.Cropping2D(((1, 0), (0, 1)))(x)
    x = k.layers.Permute((2, 1, 3))(x)
    x = k.layers.GlobalMaxPooling2D(keepdims=True)(x)
    return k.Model(inp, k.layers.Flatten()(x))


def dot_model(k):
    a = k.Input(shape=(3, 4))
    b = k.Input(shape=(2, 4))
    d = k.layers.dot([a, b], axes=(2, 2))
    c = k.layers.Dot(axes=1, normalize=True)([k.layers.Flatten()(d), k.layers.Dense(6)(k.layers.Flatten()(b))])
    return k.Model([a, b], [d, c])


MODELS = {
    "notebook_mlp": (notebook_mlp, [((64,), F, -1, 1)]),
    "notebook_dense_3d": (notebook_dense_3d, [((64, 64), F, -1, 1)]),
    "notebook_flatten": (notebook_flatten, [((64, 64), F, -1, 1)]),
    "notebook_reshape": (notebook_reshape, [((64,), F, -1, 1)]),
    "notebook_concatenate": (notebook_concatenate, [((6, 6, 3), F, -1, 1)] * 2),
    "notebook_embedding": (notebook_embedding, [((10,), I, 0, 1000)]),
    "notebook_int32_flatten": (notebook_int32_flatten, [((2, 2, 3), I, 0, 100)]),
    "notebook_int32_concatenate": (notebook_int32_concatenate, [((3,), I, 0, 100), ((5,), I, 0, 100)]),
    "notebook_int32_add": (notebook_int32_add, [((3,), I, 0, 100)] * 3),
    "multi_input": (multi_input, [((3,), F, -1, 1), ((5,), F, -1, 1)]),
    "multi_output": (multi_output, [((6,), F, -1, 1)]),
    "siamese": (siamese, [((5,), F, -1, 1)] * 2),
    "nested": (nested, [((4,), F, -1, 1)]),
    "sequential": (sequential, [((5,), F, -1, 1)]),
    "sequential_add": (sequential_add, [((4, 3), F, -1, 1)]),
    "sequential_embedding": (sequential_embedding, [((6,), I, 0, 5)]),
    "sequential_input_shape": (sequential_input_shape, [((5,), F, -1, 1)]),
    "float64_input": (float64_input, [((3,), "float64", -2, 2)]),
    "int32_merges": (int32_merges, [((2, 3), I, -50, 50)] * 2),
    "masking_time_distributed": (masking_time_distributed, [((4, 3), I, 0, 2)]),
    "embedding_mask_chain": (embedding_mask_chain, [((5,), I, 0, 3)]),
    "dict_inputs": (dict_inputs, [((3,), F, -1, 1), ((2,), F, -1, 1)]),
    "multi_output_lambda": (multi_output_lambda, [((4, 4), F, -1, 1)]),
    "reshaping_chain": (reshaping_chain, [((6,), F, -1, 1)]),
    "dot_model": (dot_model, [((3, 4), F, -1, 1), ((2, 4), F, -1, 1)]),
}


def model_predict_input(model_id, flat):
    """The x argument predict() gets for this model (a dict for dict_inputs, else array or list)."""
    if model_id == "dict_inputs":
        return {"x": flat[0], "y": flat[1]}
    return flat[0] if len(flat) == 1 else flat


# Evaluate cases: (model id, compile kwargs, target specs). The targets are deterministic too.
EVALUATE_CASES = [
    ("eval_mlp_cce", "notebook_mlp", {"loss": "categorical_crossentropy", "metrics": ["accuracy", "mae"]},
     "onehot10"),
    ("eval_mlp_sparse", "notebook_mlp", {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
     "sparse10"),
    ("eval_sequential_mse", "sequential", {"loss": "mse", "metrics": ["mae"]}, "float3"),
    ("eval_sequential_loss_only", "sequential", {"loss": "categorical_crossentropy"}, "onehot3"),
    ("eval_siamese_bce", "siamese", {"loss": "binary_crossentropy", "metrics": ["accuracy"]}, "binary1"),
    ("eval_multi_output", "multi_output", {"loss": ["categorical_crossentropy", "mse"],
                                           "loss_weights": [1.0, 0.5], "metrics": [["accuracy"], ["mae"]]},
     "onehot3+float1"),
]


def eval_targets(kind, n, seed=3):
    if "+" in kind:  # one target per output
        return [eval_targets(part, n, seed + i) for i, part in enumerate(kind.split("+"))]
    if kind.startswith("onehot"):
        classes = int(kind[len("onehot"):])
        return np.eye(classes, dtype="float32")[det((n,), seed, "int32", 0, classes)]
    if kind.startswith("sparse"):
        return det((n,), seed, "int32", 0, int(kind[len("sparse"):]))
    if kind.startswith("float"):
        return det((n, int(kind[len("float"):])), seed, "float32", 0, 1)
    if kind == "binary1":
        return det((n, 1), seed, "int32", 0, 2).astype("float32")
    raise ValueError(kind)


# Defined after the builders: their Lambdas' bytecode records line numbers, which the goldens hold.
def build_zoo_model(k, builder):
    """builder(k) (k: keras or nnkern) after k.backend.clear_session() (plain layer names), with det_weights."""
    k.backend.clear_session()
    model = builder(k)
    model.set_weights(det_weights(model))
    return model
