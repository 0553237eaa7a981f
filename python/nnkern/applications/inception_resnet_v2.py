"""keras.applications.InceptionResNetV2 (Szegedy et al., 2017), built as Keras 3.15 builds it."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, classifier_top, finished_model, image_input,
                                              obtain_input_shape)

__all__ = ["InceptionResNetV2"]


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    """The InceptionResNetV2 of keras.applications: same arguments (channels_last), layers and names."""
    check_weights(weights, "InceptionResNetV2")
    input_shape = obtain_input_shape(input_shape, default_size=299, min_size=75, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)
    x = _conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = _conv2d_bn(x, 32, 3, padding="valid")
    x = _conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _conv2d_bn(x, 80, 1, padding="valid")
    x = _conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    branch_0 = _conv2d_bn(x, 96, 1)  # mixed 5b (Inception-A): 35 x 35 x 320
    branch_1 = _chain(x, [(48, 1), (64, 5)])
    branch_2 = _chain(x, [(64, 1), (96, 3), (96, 3)])
    branch_pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branch_pool = _conv2d_bn(branch_pool, 64, 1)
    x = layers.Concatenate(axis=3, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])
    for block_idx in range(1, 11):  # 10 x block35 (Inception-ResNet-A)
        x = _inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    branch_0 = _conv2d_bn(x, 384, 3, strides=2, padding="valid")  # mixed 6a (Reduction-A): 17 x 17 x 1088
    branch_1 = _chain(x, [(256, 1), (256, 3)])
    branch_1 = _conv2d_bn(branch_1, 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=3, name="mixed_6a")([branch_0, branch_1, branch_pool])
    for block_idx in range(1, 21):  # 20 x block17 (Inception-ResNet-B)
        x = _inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    branch_0 = _conv2d_bn(x, 256, 1)  # mixed 7a (Reduction-B): 8 x 8 x 2080
    branch_0 = _conv2d_bn(branch_0, 384, 3, strides=2, padding="valid")
    branch_1 = _conv2d_bn(x, 256, 1)
    branch_1 = _conv2d_bn(branch_1, 288, 3, strides=2, padding="valid")
    branch_2 = _chain(x, [(256, 1), (288, 3)])
    branch_2 = _conv2d_bn(branch_2, 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=3, name="mixed_7a")([branch_0, branch_1, branch_2, branch_pool])
    for block_idx in range(1, 10):  # 10 x block8 (Inception-ResNet-C), the last one linear
        x = _inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = _inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = _conv2d_bn(x, 1536, 1, name="conv_7b")

    x = classifier_top(x, include_top, pooling, classes, classifier_activation, weights, avg_name=None, max_name=None)
    return finished_model(img_input, x, name, weights)


def _conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Convolution, then (without bias) BatchNormalization without scale, then the activation."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=3, scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x, convs):
    """_conv2d_bn applied in turn for each (filters, kernel_size)."""
    for filters, kernel_size in convs:
        x = _conv2d_bn(x, filters, kernel_size)
    return x


# The branches of each residual block type: lists of (filters, kernel_size) chains.
_BLOCK_BRANCHES = {"block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
                   "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
                   "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]]}


def _inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """x + scale * (1x1 linear convolution of the concatenated branches), then the activation."""
    branches = [_chain(x, chain) for chain in _BLOCK_BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=3, name=f"{block_name}_mixed")(branches)
    up = _conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = layers.CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x
