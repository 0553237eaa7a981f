"""keras.applications.ConvNeXtTiny ... ConvNeXtXLarge (Liu et al., 2022), built as Keras 3.15 builds them."""
import numpy as np

from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, finished_model, image_input, obtain_input_shape, pooled,
                                              validate_activation)
from nnkern.models import Sequential

__all__ = ["ConvNeXt", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"]

MODEL_CONFIGS = {"tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
                 "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
                 "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
                 "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
                 "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224}}


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
             name="convnext", include_preprocessing=True, include_top=True, weights=None, input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", weights_name=None):
    """Keras's ConvNeXt: an optional ImageNet normalization, a 4x4 patchifying stem, four stages of ConvNeXt
    blocks with 2x2 downsampling between them, and the head."""
    check_weights(weights, weights_name or name)
    input_shape = obtain_input_shape(input_shape, default_size=default_size, min_size=32, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)
    x = img_input
    if include_preprocessing and input_shape[2] == 3:
        x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                                 name=f"{name}_prestem_normalization")(x)
    downsample_layers = [Sequential([layers.Conv2D(projection_dims[0], kernel_size=4, strides=4,
                                                   name=f"{name}_stem_conv"),
                                     layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
                                    name=f"{name}_stem")]
    for i in range(3):
        downsample_layers.append(Sequential(
            [layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
             layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))
    depth_drop_rates = [float(rate) for rate in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = _convnext_block(x, projection_dims[i], depth_drop_rates[cur + j], layer_scale_init_value,
                                name=f"{name}_stage_{i}_block_{j}")
        cur += depths[i]
    if include_top:
        validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = pooled(x, pooling, avg_name=None, max_name=None)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    return finished_model(img_input, x, name, weights)


def _convnext_block(inputs, projection_dim, drop_path_rate, layer_scale_init_value, name):
    """7x7 depthwise convolution, LayerNormalization, an MLP (4x expansion, gelu), layer scale, residual."""
    x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                      name=f"{name}_depthwise_conv")(inputs)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = layers.LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        layer = layers.StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
    else:
        layer = layers.Activation("linear", name=f"{name}_identity")
    return inputs + layer(x)


def _variant(builder_name, size):
    config = MODEL_CONFIGS[size]

    def builder(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name=f"convnext_{size}"):
        return ConvNeXt(config["depths"], config["projection_dims"], drop_path_rate=0.0, layer_scale_init_value=1e-6,
                        default_size=config["default_size"], name=name, include_preprocessing=include_preprocessing,
                        include_top=include_top, weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                        weights_name=builder_name)
    builder.__name__ = builder.__qualname__ = builder_name
    builder.__doc__ = f"The {builder_name} of keras.applications: same arguments (channels_last), layers and names."
    return builder


ConvNeXtTiny = _variant("ConvNeXtTiny", "tiny")
ConvNeXtSmall = _variant("ConvNeXtSmall", "small")
ConvNeXtBase = _variant("ConvNeXtBase", "base")
ConvNeXtLarge = _variant("ConvNeXtLarge", "large")
ConvNeXtXLarge = _variant("ConvNeXtXLarge", "xlarge")
