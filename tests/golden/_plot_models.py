"""Models for the plot_model goldens, built by the same code in Keras (the generator) and in nnkern
(the tests): each function takes the ``keras`` module, real or ``import nnkern as keras``. Every
layer is named, so boxes can be matched by name."""


def flatten_model(keras):
    x = keras.Input(shape=(2, 2, 3), dtype="int32", name="x")
    return keras.Model(x, keras.layers.Flatten(name="flatten")(x))


def concatenate_model(keras):
    a = keras.Input(shape=(3,), dtype="int32", name="a")
    b = keras.Input(shape=(5,), dtype="int32", name="b")
    return keras.Model([a, b], keras.layers.concatenate([a, b], axis=-1, name="concatenate"))


def conv_model(keras):
    x = keras.Input(shape=(4, 4, 1), name="x")
    return keras.Model(x, keras.layers.Conv2D(1, 3, name="conv")(x))


def conv_transpose_model(keras):
    x = keras.Input(shape=(2, 2, 1), name="x")
    return keras.Model(x, keras.layers.Conv2DTranspose(1, 3, name="deconv")(x))


def upsampling_model(keras):
    x = keras.Input(shape=(2, 2, 1), name="x")
    return keras.Model(x, keras.layers.UpSampling2D(size=(2, 2), name="up")(x))


def lstm_states_model(keras):
    x = keras.Input(shape=(4, 1), name="x")
    out, h, c = keras.layers.LSTM(1, return_sequences=True, return_state=True, name="lstm")(x)
    return keras.Model(x, [out, h, c])


def multi_io_model(keras):
    """Two inputs, two outputs, a Dense shared by both branches, a nested functional model, and a
    frozen layer."""
    layers = keras.layers
    a = keras.Input((3,), name="a")
    b = keras.Input((5,), name="b")
    shared = layers.Dense(4, activation="relu", name="shared")
    inner_input = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_input, layers.Dense(2, name="inner_dense")(inner_input), name="inner")
    ha = shared(layers.Dense(4, name="da")(a))
    frozen = layers.Dense(4, name="db")
    hb = shared(frozen(b))
    frozen.trainable = False
    merged = layers.concatenate([ha, hb], name="merge")
    return keras.Model([a, b], [inner(ha), layers.Dense(1, name="out2")(merged)], name="multi")


def nested_sequential_model(keras):
    layers = keras.layers
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="s1"), layers.Dense(2, name="s2")], name="seq")
    x = keras.Input((4,), name="x")
    return keras.Model(x, layers.Dense(1, name="head")(inner(x)), name="outer")


def sequential_model(keras):
    layers = keras.layers
    return keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="tanh", name="d1"),
                             layers.Dense(1, name="d2")], name="plain")


MODELS = {f.__name__[:-len("_model")]: f for f in (
    flatten_model, concatenate_model, conv_model, conv_transpose_model, upsampling_model, lstm_states_model,
    multi_io_model, nested_sequential_model, sequential_model)}

# (model, model_to_dot options) compared with Keras
CASES = [(name, {"show_shapes": True, "show_layer_names": True}) for name in MODELS] + [
    ("multi_io", {}),
    ("multi_io", {"show_shapes": True, "show_dtype": True, "show_layer_names": True, "show_layer_activations": True,
                  "show_trainable": True}),
    ("multi_io", {"show_shapes": True, "show_layer_names": True, "expand_nested": True}),
    ("nested_sequential", {"show_layer_names": True, "expand_nested": True}),
    ("sequential", {"show_layer_activations": True, "show_trainable": True}),
]


def layer_names_by_id(model):
    """``{str(id(layer)): name}`` for every layer of the model and of its nested models (the ids
    model_to_dot gives its boxes)."""
    names = {}
    for layer in list(getattr(model, "_operations", [])) + list(model.layers):
        names[str(id(layer))] = layer.name
        if hasattr(layer, "layers") and layer is not model:
            names.update(layer_names_by_id(layer))
    return names
