"""keras.applications.MobileNetV3Small and MobileNetV3Large (Howard et al., 2019), built as Keras 3.15 builds
them."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, correct_pad, finished_model, image_input, pooled,
                                              validate_activation)
from nnkern.applications.mobilenet_v2 import make_divisible

__all__ = ["MobileNetV3Small", "MobileNetV3Large"]

# (expansion, filters, kernel size (None: 5, or 3 when minimalistic), stride, squeeze-and-excite, activation
# ("relu", or None: hard_swish, or relu when minimalistic)) of each inverted residual block.
_SMALL_BLOCKS = [(1, 16, 3, 2, True, "relu"), (72.0 / 16, 24, 3, 2, False, "relu"),
                 (88.0 / 24, 24, 3, 1, False, "relu"), (4, 40, None, 2, True, None), (6, 40, None, 1, True, None), (6, 40, None, 1, True, None),
                 (3, 48, None, 1, True, None), (3, 48, None, 1, True, None), (6, 96, None, 2, True, None),
                 (6, 96, None, 1, True, None), (6, 96, None, 1, True, None)]
_LARGE_BLOCKS = [(1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
                 (3, 40, None, 2, True, "relu"), (3, 40, None, 1, True, "relu"), (3, 40, None, 1, True, "relu"),
                 (6, 80, 3, 2, False, None), (2.5, 80, 3, 1, False, None), (2.3, 80, 3, 1, False, None),
                 (2.3, 80, 3, 1, False, None), (6, 112, 3, 1, True, None), (6, 112, 3, 1, True, None),
                 (6, 160, None, 2, True, None), (6, 160, None, 1, True, None), (6, 160, None, 1, True, None)]


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    """The MobileNetV3Small of keras.applications: same arguments (channels_last), layers and names."""
    return _mobilenet_v3(_SMALL_BLOCKS, 1024, "MobileNetV3Small", input_shape, alpha, minimalistic, include_top,
                         weights, input_tensor, classes, pooling, dropout_rate, classifier_activation,
                         include_preprocessing, name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    """The MobileNetV3Large of keras.applications: same arguments (channels_last), layers and names."""
    return _mobilenet_v3(_LARGE_BLOCKS, 1280, "MobileNetV3Large", input_shape, alpha, minimalistic, include_top,
                         weights, input_tensor, classes, pooling, dropout_rate, classifier_activation,
                         include_preprocessing, name)


def _input_shape(input_shape, input_tensor):
    """Keras's MobileNetV3 input checks: no default size (None x None), a size taken from input_tensor."""
    if input_shape is not None and input_tensor is not None and hasattr(input_tensor, "shape") \
            and input_tensor.shape[2] != input_shape[1]:
        raise ValueError(f"input_shape[1] must equal input_tensor.shape[2].  Received input_shape={input_shape}, "
                         f"input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None and hasattr(input_tensor, "shape"):
        rows, cols = input_tensor.shape[1:3]
        input_shape = (cols, rows, 3)  # (sic: Keras swaps them; only their minimum is checked)
    if input_shape is None:
        input_shape = (None, None, 3)
    rows, cols = input_shape[0], input_shape[1]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    return input_shape


def _mobilenet_v3(blocks, last_point_ch, builder, input_shape, alpha, minimalistic, include_top, weights,
                  input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing, name):
    check_weights(weights, builder)
    img_input = image_input(_input_shape(input_shape, input_tensor), input_tensor)
    kernel, activation, se_ratio = (3, _relu, None) if minimalistic else (5, _hard_swish, 0.25)

    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name="conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, kernel_size, stride, squeeze, block_activation) in enumerate(blocks):
        x = _inverted_res_block(x, expansion, make_divisible(filters * alpha), kernel_size or kernel, stride,
                                se_ratio if squeeze else None,
                                _relu if block_activation == "relu" else activation, block_id)
    last_conv_ch = make_divisible(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point_ch = make_divisible(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling)
    return finished_model(img_input, x, name, weights)


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    # As Keras writes it: ops on the tensor (Add, Multiply nodes in the config), not an Activation layer.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(make_divisible(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    """Keras's block: (1x1 expansion,) depthwise kxk, (squeeze-and-excite,) 1x1 projection, (residual)."""
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[-1]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(make_divisible(infilters * expansion), kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, make_divisible(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x
