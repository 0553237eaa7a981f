"""keras.applications' builders, producing the same architectures as Keras 3 (same layers, names and
configs), with `weights=None` or `weights=` the path to a weights file (`.weights.h5`, or a Keras 2 `.h5`
weights file). nnkern downloads nothing: `weights="imagenet"` raises. So far: MobileNet, MobileNetV2,
MobileNetV3Small, MobileNetV3Large, ResNet50, EfficientNetB0 ... B7, EfficientNetV2B0 ... B3, S, M, L,
NASNetMobile, NASNetLarge."""
from nnkern.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                              EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from nnkern.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                 EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from nnkern.applications.mobilenet import MobileNet
from nnkern.applications.mobilenet_v2 import MobileNetV2
from nnkern.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from nnkern.applications.nasnet import NASNetLarge, NASNetMobile
from nnkern.applications.resnet import ResNet50

__all__ = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
           "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S", "MobileNet", "MobileNetV2",
           "MobileNetV3Large", "MobileNetV3Small", "NASNetLarge", "NASNetMobile", "ResNet50"]
