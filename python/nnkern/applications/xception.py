"""keras.applications.Xception (Chollet, 2017), built as Keras 3.15 builds it."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, classifier_top, finished_model, image_input,
                                              obtain_input_shape)

__all__ = ["Xception"]


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    """The Xception of keras.applications: same arguments (channels_last), layers and names."""
    check_weights(weights, "Xception")
    input_shape = obtain_input_shape(input_shape, default_size=299, min_size=71, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    # Entry flow: blocks 2-4 (block 2 starts without its relu), then the exit flow's block 13.
    for block, filters in ((2, (128, 128)), (3, (256, 256)), (4, (728, 728))):
        x = _strided_block(x, block, filters, first_relu=block > 2)
    for block in range(5, 13):  # middle flow
        residual = x
        for i in (1, 2, 3):
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{i}", relu_before=True)
        x = layers.add([x, residual])
    x = _strided_block(x, 13, (728, 1024), first_relu=True)
    x = _sepconv_bn(x, 1536, "block14_sepconv1", relu_before=False)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv_bn(x, 2048, "block14_sepconv2", relu_before=False)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = classifier_top(x, include_top, pooling, classes, classifier_activation, weights, avg_name=None, max_name=None)
    return finished_model(img_input, x, name, weights)


def _sepconv_bn(x, filters, name, relu_before):
    if relu_before:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _strided_block(x, block, filters, first_relu):
    """Two separable convolutions and a stride-2 max pooling, plus a strided 1x1 projection of the input.
    Block 2 has no relu before its first convolution and names its middle relu 'sepconv2_act'."""
    residual = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization(axis=-1)(residual)
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1", relu_before=first_relu)
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2", relu_before=True)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])
