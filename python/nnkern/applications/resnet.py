"""keras.applications.ResNet50/101/152 (He et al., 2015) and ResNet50V2/101V2/152V2 (He et al., 2016), built
as Keras 3.15 builds them (keras.src.applications.resnet, resnet_v2)."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, classifier_top, finished_model, image_input,
                                              obtain_input_shape)

__all__ = ["ResNet", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2"]


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
           pooling=None, classes=1000, classifier_activation="softmax", name="resnet", builder="ResNet"):
    """Keras's ResNet: the stem, stack_fn(x) (the residual stages), with preact the V2 post-activation,
    and the head."""
    check_weights(weights, builder)
    input_shape = obtain_input_shape(input_shape, default_size=224, min_size=32, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = classifier_top(x, include_top, pooling, classes, classifier_activation, weights)
    return finished_model(img_input, x, name, weights)


def _block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """Keras's residual_block_v1: 1x1 -> kxk -> 1x1 (4 * filters), plus the (projected) shortcut."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="SAME", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _stack_v1(x, filters, blocks, stride1=2, name=None):
    x = _block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """Keras's residual_block_v2: pre-activation, 1x1 -> kxk (stride) -> 1x1 (4 * filters), plus the shortcut
    (projected, or subsampled by a 1x1 max pooling when strided)."""
    preact = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def _stack_v2(x, filters, blocks, stride1=2, name=None):
    """V2 stacks stride in their last block."""
    x = _block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = _block_v2(x, filters, name=f"{name}_block{i}")
    return _block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _variant(builder_name, model_name, blocks, preact):
    """A builder of Keras's signature: stages conv2 ... conv5 of `blocks` residual blocks each."""
    def stack_fn(x):
        if preact:  # V2: the last stage keeps its size, the others halve it in their last block
            for filters, n, stage, stride in zip((64, 128, 256, 512), blocks, (2, 3, 4, 5), (2, 2, 2, 1)):
                x = _stack_v2(x, filters, n, stride1=stride, name=f"conv{stage}")
            return x
        for filters, n, stage, stride in zip((64, 128, 256, 512), blocks, (2, 3, 4, 5), (1, 2, 2, 2)):
            x = _stack_v1(x, filters, n, stride1=stride, name=f"conv{stage}")
        return x

    def builder(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=model_name):
        return ResNet(stack_fn, preact, True, include_top=include_top, weights=weights, input_tensor=input_tensor,
                      input_shape=input_shape, pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation, name=name, builder=builder_name)
    builder.__name__ = builder.__qualname__ = builder_name
    builder.__doc__ = f"The {builder_name} of keras.applications: same arguments (channels_last), layers and names."
    return builder


ResNet50 = _variant("ResNet50", "resnet50", (3, 4, 6, 3), preact=False)
ResNet101 = _variant("ResNet101", "resnet101", (3, 4, 23, 3), preact=False)
ResNet152 = _variant("ResNet152", "resnet152", (3, 8, 36, 3), preact=False)
ResNet50V2 = _variant("ResNet50V2", "resnet50v2", (3, 4, 6, 3), preact=True)
ResNet101V2 = _variant("ResNet101V2", "resnet101v2", (3, 4, 23, 3), preact=True)
ResNet152V2 = _variant("ResNet152V2", "resnet152v2", (3, 8, 36, 3), preact=True)
