"""keras.applications.VGG16 and VGG19 (Simonyan and Zisserman, 2014), built as Keras 3.15 builds them."""
from nnkern import layers
from nnkern.applications.input_shapes import (check_weights, finished_model, image_input, obtain_input_shape, pooled,
                                              validate_activation)

__all__ = ["VGG16", "VGG19"]


def _vgg(convs_per_block, builder_name, include_top, weights, input_tensor, input_shape, pooling, classes,
         classifier_activation, name):
    """Five blocks of 3x3 relu convolutions (64, 128, 256, 512, 512 filters) each ending in a 2x2 max pooling;
    the top: Flatten and two relu Dense of 4096 before the classifier."""
    check_weights(weights, builder_name)
    input_shape = obtain_input_shape(input_shape, default_size=224, min_size=32, require_flatten=include_top)
    img_input = image_input(input_shape, input_tensor)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling, avg_name=None, max_name=None)
    return finished_model(img_input, x, name, weights)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """The VGG16 of keras.applications: same arguments (channels_last), layers and names."""
    return _vgg((2, 2, 3, 3, 3), "VGG16", include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """The VGG19 of keras.applications: same arguments (channels_last), layers and names."""
    return _vgg((2, 2, 4, 4, 4), "VGG19", include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)
