"""keras.applications' builders, producing the same architectures as Keras 3 (same layers, names and
configs), with `weights=None` or `weights=` the path to a weights file (`.weights.h5`, or a Keras 2 `.h5`
weights file). nnkern downloads nothing: `weights="imagenet"` raises. So far: MobileNetV2, ResNet50,
EfficientNetB0 ... B7."""
from nnkern.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                              EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from nnkern.applications.mobilenet_v2 import MobileNetV2
from nnkern.applications.resnet import ResNet50

__all__ = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "MobileNetV2", "ResNet50"]
