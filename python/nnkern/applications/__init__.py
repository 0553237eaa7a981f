"""keras.applications' builders, producing the same architectures as Keras 3 (same layers, names and
configs), with `weights=None` or `weights=` the path to a weights file (`.weights.h5`, or a Keras 2 `.h5`
weights file). nnkern downloads nothing: `weights="imagenet"` raises. Every builder of Keras 3.15's
keras.applications: ConvNeXtTiny/Small/Base/Large/XLarge, DenseNet121/169/201, EfficientNetB0 ... B7,
EfficientNetV2B0 ... B3, S, M, L, InceptionResNetV2, InceptionV3, MobileNet, MobileNetV2, MobileNetV3Small,
MobileNetV3Large, NASNetMobile, NASNetLarge, ResNet50/101/152, ResNet50V2/101V2/152V2, VGG16, VGG19, Xception."""
from nnkern.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from nnkern.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from nnkern.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                              EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from nnkern.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                 EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from nnkern.applications.inception_resnet_v2 import InceptionResNetV2
from nnkern.applications.inception_v3 import InceptionV3
from nnkern.applications.mobilenet import MobileNet
from nnkern.applications.mobilenet_v2 import MobileNetV2
from nnkern.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from nnkern.applications.nasnet import NASNetLarge, NASNetMobile
from nnkern.applications.resnet import ResNet50, ResNet50V2, ResNet101, ResNet101V2, ResNet152, ResNet152V2
from nnkern.applications.vgg import VGG16, VGG19
from nnkern.applications.xception import Xception

__all__ = ["ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge", "DenseNet121",
           "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0",
           "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M",
           "EfficientNetV2S", "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large",
           "MobileNetV3Small", "NASNetLarge", "NASNetMobile", "ResNet50", "ResNet50V2", "ResNet101", "ResNet101V2",
           "ResNet152", "ResNet152V2", "VGG16", "VGG19", "Xception"]
