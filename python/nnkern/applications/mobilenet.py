"""keras.applications.MobileNet (Howard et al., 2017), built as Keras 3.15 builds it."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, finished_model, image_input, obtain_input_shape, pooled,
                                              validate_activation)

__all__ = ["MobileNet"]

# (pointwise filters, stride) of the 13 depthwise-separable blocks.
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1)]


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """The MobileNet of keras.applications: same arguments (channels_last), layers and names."""
    check_weights(weights, "MobileNet")
    rows = cols = None
    if input_shape is not None:
        rows, cols = tuple(input_shape)[:2]
    default_size = rows if rows == cols and rows in (128, 160, 192, 224) else 224
    input_shape = obtain_input_shape(input_shape, default_size, min_size=32, require_flatten=include_top)
    rows = input_shape[0]
    img_input = image_input(input_shape, input_tensor)

    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, int(filters * alpha), depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling, avg_name=None, max_name=None)
    return finished_model(img_input, x, name if name is not None else f"mobilenet_{alpha:0.2f}_{rows}", weights)


def _depthwise_conv_block(inputs, pointwise_filters, depth_multiplier, stride, block_id):
    """Keras's block: (pad,) 3x3 depthwise, BN, ReLU6, 1x1 pointwise, BN, ReLU6."""
    x = inputs
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid", depth_multiplier=depth_multiplier,
                               strides=(stride, stride), use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(pointwise_filters, (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)
