"""keras.applications.InceptionV3 (Szegedy et al., 2016), built as Keras 3.15 builds it."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, classifier_top, finished_model, image_input,
                                              obtain_input_shape)

__all__ = ["InceptionV3"]


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="inception_v3"):
    """The InceptionV3 of keras.applications: same arguments (channels_last), layers and names."""
    check_weights(weights, "InceptionV3")
    input_shape = obtain_input_shape(input_shape, default_size=299, min_size=75, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)
    x = _conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = _conv2d_bn(x, 32, 3, 3, padding="valid")
    x = _conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _conv2d_bn(x, 80, 1, 1, padding="valid")
    x = _conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    for i, pool_filters in enumerate((32, 64, 64)):  # mixed 0, 1, 2: 35 x 35 x 256 / 288
        branch1x1 = _conv2d_bn(x, 64, 1, 1)
        branch5x5 = _chain(x, [(48, 1, 1), (64, 5, 5)])
        branch3x3dbl = _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)])
        branch_pool = _avg_pool_conv(x, pool_filters)
        x = layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=3, name=f"mixed{i}")

    branch3x3 = _conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")  # mixed 3: 17 x 17 x 768
    branch3x3dbl = _chain(x, [(64, 1, 1), (96, 3, 3)])
    branch3x3dbl = _conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=3, name="mixed3")

    for i, filters in enumerate((128, 160, 160, 192)):  # mixed 4 ... 7: 17 x 17 x 768
        branch1x1 = _conv2d_bn(x, 192, 1, 1)
        branch7x7 = _chain(x, [(filters, 1, 1), (filters, 1, 7), (192, 7, 1)])
        branch7x7dbl = _chain(x, [(filters, 1, 1), (filters, 7, 1), (filters, 1, 7), (filters, 7, 1), (192, 1, 7)])
        branch_pool = _avg_pool_conv(x, 192)
        x = layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=3, name=f"mixed{4 + i}")

    branch3x3 = _conv2d_bn(x, 192, 1, 1)  # mixed 8: 8 x 8 x 1280
    branch3x3 = _conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1)])
    branch7x7x3 = _conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=3, name="mixed8")

    for i in range(2):  # mixed 9, 10: 8 x 8 x 2048
        branch1x1 = _conv2d_bn(x, 320, 1, 1)
        branch3x3 = _conv2d_bn(x, 384, 1, 1)
        branch3x3 = layers.concatenate([_conv2d_bn(branch3x3, 384, 1, 3), _conv2d_bn(branch3x3, 384, 3, 1)], axis=3,
                                       name=f"mixed9_{i}")
        branch3x3dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
        branch3x3dbl = layers.concatenate([_conv2d_bn(branch3x3dbl, 384, 1, 3), _conv2d_bn(branch3x3dbl, 384, 3, 1)],
                                          axis=3)
        branch_pool = _avg_pool_conv(x, 192)
        x = layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=3, name=f"mixed{9 + i}")

    x = classifier_top(x, include_top, pooling, classes, classifier_activation, weights, avg_name=None, max_name=None)
    return finished_model(img_input, x, name, weights)


def _conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), BatchNormalization without scale, relu."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=3, scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, convs):
    """_conv2d_bn applied in turn for each (filters, rows, cols)."""
    for filters, num_row, num_col in convs:
        x = _conv2d_bn(x, filters, num_row, num_col)
    return x


def _avg_pool_conv(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return _conv2d_bn(x, filters, 1, 1)
