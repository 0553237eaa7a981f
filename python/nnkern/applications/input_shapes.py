"""What keras.applications' imagenet_utils does for the builders: the input shape a builder accepts and
the padding before a stride-2 convolution (channels_last, as all of nnkern)."""
import os

from nnkern import activations, layers
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.models import Model

__all__ = ["obtain_input_shape", "correct_pad", "check_weights", "validate_activation", "image_input", "pooled",
           "classifier_top", "finished_model"]


def image_input(input_shape, input_tensor):
    """The model's input: a new Input of input_shape, or the given `keras.Input` tensor."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(f"input_tensor is not a Keras tensor; Received `input_tensor={input_tensor!r}`")
    return input_tensor


def check_weights(weights, builder):
    """None, or the path of an existing weights file; Keras's message otherwise."""
    if weights == "imagenet":
        raise ValueError(f"{builder}: nnkern downloads no weights: `weights` must be None or the path to a "
                         "weights file (save Keras's with `model.save_weights(...)`). Received `weights=imagenet`")
    if weights is not None and not (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)):
        raise ValueError("The `weights` argument should be either `None` (random initialization), `imagenet` "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
                         f"Received `weights={weights}`")


def validate_activation(classifier_activation, weights):
    """With a weights file, the classifier must end in softmax or logits (as the file's model was trained)."""
    if weights is not None and activations.get(classifier_activation) not in (activations.get("softmax"),
                                                                              activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def obtain_input_shape(input_shape, default_size, min_size, require_flatten=True):
    """(rows, cols, channels) from the builder's input_shape. None: the default size when the model ends in
    a classifier (require_flatten, Keras passes include_top), else any size (None, None, 3)."""
    if not input_shape:
        return (default_size, default_size, 3) if require_flatten else (None, None, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError("`input_shape` must be a tuple of three integers.")
    if (input_shape[0] is not None and input_shape[0] < min_size) or \
            (input_shape[1] is not None and input_shape[1] < min_size):
        raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: input_shape={input_shape}")
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """((top, bottom), (left, right)) zero padding so a stride-2 'valid' convolution centres its taps."""
    size = inputs.shape[1:3]
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size // 2, kernel_size // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def pooled(x, pooling, avg_name="avg_pool", max_name="max_pool"):
    """The headless builder's `pooling` ('avg', 'max' or None), under the layer names the family uses."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def classifier_top(x, include_top, pooling, classes, classifier_activation, weights, avg_name="avg_pool",
                   max_name="max_pool", top_name="avg_pool", dropout_rate=0.0, **dense_kwargs):
    """The usual end: with include_top a global average pooling (named top_name), dropout 'top_dropout' when
    dropout_rate > 0 and the Dense 'predictions' classifier (dense_kwargs passed on); else `pooled` under the
    family's names (None: Keras's auto-names)."""
    if not include_top:
        return pooled(x, pooling, avg_name, max_name)
    x = layers.GlobalAveragePooling2D(name=top_name)(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="top_dropout")(x)
    validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name="predictions", **dense_kwargs)(x)


def finished_model(img_input, x, name, weights):
    """The builder's Model from its input to x, with the weights file loaded when one is given."""
    model = Model(img_input, x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model
