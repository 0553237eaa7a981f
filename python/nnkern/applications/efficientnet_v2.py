"""keras.applications.EfficientNetV2B0 ... B3, S, M, L (Tan and Le, 2021), built as Keras 3.15 builds them."""
import math

from nnkern import layers
from nnkern.applications.efficientnet import conv_initializer, residual, squeeze_excite, top
from nnkern.applications.input_shapes import check_weights, finished_model, image_input, obtain_input_shape
from nnkern.initializers import Constant

__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S",
           "EfficientNetV2M", "EfficientNetV2L"]

# num_repeat, input_filters, output_filters, expand_ratio, se_ratio, strides, fused (FusedMBConv, else MBConv)
# of each stage (kernel size 3 throughout): Keras's DEFAULT_BLOCKS_ARGS.
_B_STAGES = [(1, 32, 16, 1, 0, 1, True), (2, 16, 32, 4, 0, 2, True), (2, 32, 48, 4, 0, 2, True),
             (3, 48, 96, 4, 0.25, 2, False), (5, 96, 112, 6, 0.25, 1, False), (8, 112, 192, 6, 0.25, 2, False)]
_STAGES = {
    "s": [(2, 24, 24, 1, 0, 1, True), (4, 24, 48, 4, 0, 2, True), (4, 48, 64, 4, 0, 2, True),
          (6, 64, 128, 4, 0.25, 2, False), (9, 128, 160, 6, 0.25, 1, False), (15, 160, 256, 6, 0.25, 2, False)],
    "m": [(3, 24, 24, 1, 0, 1, True), (5, 24, 48, 4, 0, 2, True), (5, 48, 80, 4, 0, 2, True),
          (7, 80, 160, 4, 0.25, 2, False), (14, 160, 176, 6, 0.25, 1, False), (18, 176, 304, 6, 0.25, 2, False),
          (5, 304, 512, 6, 0.25, 1, False)],
    "l": [(4, 32, 32, 1, 0, 1, True), (7, 32, 64, 4, 0, 2, True), (7, 64, 96, 4, 0, 2, True),
          (10, 96, 192, 4, 0.25, 2, False), (19, 192, 224, 6, 0.25, 1, False), (25, 224, 384, 6, 0.25, 2, False),
          (7, 384, 640, 6, 0.25, 1, False)],
    "b0": _B_STAGES, "b1": _B_STAGES, "b2": _B_STAGES, "b3": _B_STAGES,
}


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, variant, dropout_rate=0.2,
                   drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True):
    """The EfficientNetV2 `variant` ('b0' ... 'b3', 's', 'm', 'l'). (Keras picks the stages and the
    preprocessing by the model's name, so it fails on a name of its own; here the variant decides.)"""
    check_weights(weights, name)
    input_shape = obtain_input_shape(input_shape, default_size=default_size, min_size=32, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)

    def round_filters(filters):
        return int(max(min_depth or depth_divisor,
                       int(filters * width_coefficient + depth_divisor / 2) // depth_divisor * depth_divisor))

    x = img_input
    if include_preprocessing:
        if variant.startswith("b") and input_shape[-1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=3)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    stages = _STAGES[variant]
    x = layers.Conv2D(filters=round_filters(stages[0][1]), kernel_size=3, strides=2,
                      kernel_initializer=conv_initializer(), padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    b = 0
    blocks = float(sum(stage[0] for stage in stages))
    for i, (num_repeat, filters_in, filters_out, expand_ratio, se_ratio, strides, fused) in enumerate(stages):
        filters_in, filters_out = round_filters(filters_in), round_filters(filters_out)
        for j in range(int(math.ceil(depth_coefficient * num_repeat))):
            if j > 0:
                strides, filters_in = 1, filters_out
            x = (_fused_mb_conv_block if fused else _mb_conv_block)(
                x, filters_in, filters_out, expand_ratio, strides, se_ratio, bn_momentum, activation,
                drop_connect_rate * b / blocks, name=f"block{i + 1}{chr(j + 97)}_")
            b += 1
    x = layers.Conv2D(filters=round_filters(1280), kernel_size=1, strides=1, kernel_initializer=conv_initializer(),
                      padding="same", use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    x = top(x, include_top, pooling, dropout_rate, classes, classifier_activation, weights,
            bias_initializer=Constant(0.0))
    return finished_model(img_input, x, name, weights)


def _conv_bn(x, filters, kernel_size, strides, bn_momentum, name):
    x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, kernel_initializer=conv_initializer(),
                      padding="same", use_bias=False, name=f"{name}_conv")(x)
    return layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}_bn")(x)


def _mb_conv_block(inputs, filters_in, filters_out, expand_ratio, strides, se_ratio, bn_momentum, activation,
                   survival_probability, name):
    """Keras's MBConvBlock: 1x1 expansion, 3x3 depthwise convolution, squeeze-and-excitation, projection."""
    x = inputs
    if expand_ratio != 1:
        x = _conv_bn(x, filters_in * expand_ratio, 1, 1, bn_momentum, f"{name}expand")
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=strides, depthwise_initializer=conv_initializer(),
                               padding="same", use_bias=False, name=f"{name}dwconv2")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = squeeze_excite(x, filters_in, se_ratio, activation, name)
    x = _conv_bn(x, filters_out, 1, 1, bn_momentum, f"{name}project")
    if strides == 1 and filters_in == filters_out:
        x = residual(x, inputs, survival_probability, name)
    return x


def _fused_mb_conv_block(inputs, filters_in, filters_out, expand_ratio, strides, se_ratio, bn_momentum, activation,
                         survival_probability, name):
    """Keras's FusedMBConvBlock: a 3x3 expansion convolution in place of 1x1 expansion + depthwise."""
    x = inputs
    if expand_ratio != 1:
        x = _conv_bn(x, filters_in * expand_ratio, 3, strides, bn_momentum, f"{name}expand")
        x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
    x = squeeze_excite(x, filters_in, se_ratio, activation, name)
    fused = expand_ratio != 1
    x = _conv_bn(x, filters_out, 1 if fused else 3, 1 if fused else strides, bn_momentum, f"{name}project")
    if not fused:
        x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
    if strides == 1 and filters_in == filters_out:
        x = residual(x, inputs, survival_probability, name)
    return x


def _variant(name, width, depth, size, variant):
    def builder(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", include_preprocessing=True,
                name=f"efficientnetv2-{variant}"):
        return EfficientNetV2(width, depth, size, variant, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing)
    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"The {name} of keras.applications: same arguments (channels_last), layers and names."
    return builder


EfficientNetV2B0 = _variant("EfficientNetV2B0", 1.0, 1.0, 224, "b0")
EfficientNetV2B1 = _variant("EfficientNetV2B1", 1.0, 1.1, 240, "b1")
EfficientNetV2B2 = _variant("EfficientNetV2B2", 1.1, 1.2, 260, "b2")
EfficientNetV2B3 = _variant("EfficientNetV2B3", 1.2, 1.4, 300, "b3")
EfficientNetV2S = _variant("EfficientNetV2S", 1.0, 1.0, 384, "s")
EfficientNetV2M = _variant("EfficientNetV2M", 1.0, 1.0, 480, "m")
EfficientNetV2L = _variant("EfficientNetV2L", 1.0, 1.0, 480, "l")
