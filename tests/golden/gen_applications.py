"""The keras.applications corpus: every family's architectures, built by Keras 3 with weights=None at a
small input size, and the layers keras.applications defines itself (LayerScale, StochasticDepth,
CustomScaleLayer).

Pretrained-size weights cannot be committed, so each architecture case stores only the model config
(`data/applications/<id>.json.gz`, as a `.keras` file's config.json holds it), the names and shapes of
`model.weights` (`<id>.weights.json.gz`), the parameter counts, the seed of a fixed input and Keras's
output on it. The
weights are recreated from the seeded recipe of _applications_recipe.py, applied in `model.weights`
order here before predicting and again by the test on nnkern's model. Classifiers end in logits
(classifier_activation=None) and ten classes: a softmax would hide the differences in its saturation.

Two `.keras` files are saved whole (data/saving/applications/): MobileNet at alpha 0.25 (weights rounded
to multiples of 1/64 so the deflated file stays small) and a small model of the three applications
layers. Layer-level `single` cases follow the record of gen_layers_conv_rnn.py.
"""
import inspect
import json
import pathlib

import numpy as np

import keras
from keras.src.applications.convnext import LayerScale, StochasticDepth
from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

from _applications_recipe import recipe_input, recipe_weights, set_recipe_weights
from _golden_io import GoldenWriter, write_compressed
from _keras_helpers import check_keras_loads_model_files, save_if_changed, seeded

CONFIG_DIR = "applications"
FILE_DIR = "saving/applications"
BATCH = 2

# (case id, keras.applications builder, its arguments, image size): the smallest variant of every
# family, and a few larger ones (other depth / width multipliers, blocks, top).
ARCHITECTURES = [
    ("convnext_base", "ConvNeXtBase", {"include_top": False, "pooling": "avg"}, 32),
    ("convnext_large", "ConvNeXtLarge", {}, 32),
    ("convnext_small", "ConvNeXtSmall", {"include_preprocessing": False}, 32),
    ("convnext_tiny", "ConvNeXtTiny", {}, 32),
    ("convnext_xlarge", "ConvNeXtXLarge", {"include_top": False}, 32),
    ("densenet121", "DenseNet121", {}, 32),
    ("densenet169", "DenseNet169", {"include_top": False, "pooling": "max"}, 32),
    ("densenet201", "DenseNet201", {}, 32),
    ("efficientnet_b0", "EfficientNetB0", {}, 32),
    ("efficientnet_b1", "EfficientNetB1", {}, 32),
    ("efficientnet_b2", "EfficientNetB2", {}, 32),
    ("efficientnet_b3", "EfficientNetB3", {}, 32),
    ("efficientnet_b4", "EfficientNetB4", {"include_top": False, "pooling": "avg"}, 32),
    ("efficientnet_b5", "EfficientNetB5", {}, 32),
    ("efficientnet_b6", "EfficientNetB6", {"include_top": False, "pooling": "max"}, 32),
    ("efficientnet_b7", "EfficientNetB7", {}, 32),
    ("efficientnet_v2_b0", "EfficientNetV2B0", {}, 32),
    ("efficientnet_v2_b1", "EfficientNetV2B1", {}, 32),
    ("efficientnet_v2_b2", "EfficientNetV2B2", {"include_preprocessing": False}, 32),
    ("efficientnet_v2_b3", "EfficientNetV2B3", {}, 32),
    ("efficientnet_v2_l", "EfficientNetV2L", {}, 32),
    ("efficientnet_v2_m", "EfficientNetV2M", {"include_top": False, "pooling": "max"}, 32),
    ("efficientnet_v2_s", "EfficientNetV2S", {"include_top": False, "pooling": "avg"}, 32),
    ("inception_resnet_v2", "InceptionResNetV2", {}, 75),
    ("inception_v3", "InceptionV3", {}, 75),
    ("mobilenet_025", "MobileNet", {"alpha": 0.25}, 32),
    ("mobilenet_050_depth2", "MobileNet", {"alpha": 0.5, "depth_multiplier": 2, "dropout": 0.3}, 32),
    ("mobilenet_v2", "MobileNetV2", {"include_top": False, "pooling": "avg"}, 32),
    ("mobilenet_v2_035", "MobileNetV2", {"alpha": 0.35}, 32),
    ("mobilenet_v3_large", "MobileNetV3Large", {}, 32),
    ("mobilenet_v3_large_minimalistic", "MobileNetV3Large",
     {"minimalistic": True, "alpha": 1.25, "include_preprocessing": False, "dropout_rate": 0.0}, 32),
    ("mobilenet_v3_small", "MobileNetV3Small", {}, 32),
    ("mobilenet_v3_small_minimalistic", "MobileNetV3Small", {"minimalistic": True, "alpha": 0.75}, 32),
    ("nasnet_large", "NASNetLarge", {}, 32),
    ("nasnet_mobile", "NASNetMobile", {}, 32),
    ("resnet101", "ResNet101", {"include_top": False, "pooling": "max"}, 32),
    ("resnet101_v2", "ResNet101V2", {}, 32),
    ("resnet152", "ResNet152", {}, 32),
    ("resnet152_v2", "ResNet152V2", {"include_top": False, "pooling": "avg"}, 32),
    ("resnet50", "ResNet50", {}, 32),
    ("resnet50_v2", "ResNet50V2", {}, 32),
    ("vgg16", "VGG16", {}, 32),
    ("vgg19", "VGG19", {"include_top": False, "pooling": "avg"}, 32),
    ("xception", "Xception", {}, 71),
]


def jsonable(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def input_spec(model, size, seed):
    """Images in [0, 255] for models that rescale their input themselves, else in [-1, 1]."""
    rescales = any(type(layer).__name__ == "Rescaling" for layer in model.layers)
    low, high = (0.0, 255.0) if rescales else (-1.0, 1.0)
    return {"shape": [BATCH, size, size, 3], "seed": seed, "low": low, "high": high}


def weight_specs(model):
    return {"weight_names": [v.name for v in model.weights], "weight_shapes": [list(v.shape) for v in model.weights]}


def weight_record(model):
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    return {"params": int(model.count_params()), "trainable_params": trainable,
            "non_trainable_params": int(model.count_params()) - trainable, "n_layers": len(model.layers)}


def specs_list(specs):
    return list(zip(specs["weight_names"], specs["weight_shapes"]))


def generate(data_dir):
    data_dir = pathlib.Path(data_dir)
    w = GoldenWriter("applications")
    saved = []
    for seed, (case_id, builder, kwargs, size) in enumerate(ARCHITECTURES, start=1):
        keras.backend.clear_session()  # layer auto-names independent of the cases before
        model = getattr(keras.applications, builder)(weights=None, input_shape=(size, size, 3),
                                                     **({"classes": 10, "classifier_activation": None}
                                                        if kwargs.get("include_top", True) else {}), **kwargs)
        record, specs = weight_record(model), weight_specs(model)
        set_recipe_weights(model, specs_list(specs), seed)
        x_spec = input_spec(model, size, seed)
        y = np.asarray(model.predict(recipe_input(x_spec), verbose=0))
        assert np.all(np.isfinite(y)), case_id
        rel = f"{CONFIG_DIR}/{case_id}.json.gz"
        write_compressed(data_dir / rel, json.dumps(keras.saving.serialize_keras_object(model)))
        write_compressed(data_dir / f"{CONFIG_DIR}/{case_id}.weights.json.gz", json.dumps(specs))
        print(f"  {case_id}: {record['params']:,} params, {len(model.layers)} layers, y std {y.std():.3g}, "
              f"max |y| {np.abs(y).max():.3g}")
        w.add(case_id, {"kind": "architecture", "builder": builder, "kwargs": kwargs, "image_size": size,
                        "seed": seed, "config": rel, "weights": f"{CONFIG_DIR}/{case_id}.weights.json.gz",
                        "input": x_spec, "output_shape": list(model.output.shape), **record},
              y=y)

    # ---------------------------------------------------------------- whole .keras files
    keras.backend.clear_session()
    model = keras.applications.MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=10,
                                         classifier_activation=None)
    record, specs = weight_record(model), weight_specs(model)
    weights = recipe_weights(specs_list(specs), 100)
    model.set_weights([np.round(v * 64) / 64 if v.dtype == np.float32 and "variance" not in n else v
                       for v, n in zip(weights, specs["weight_names"])])
    x = recipe_input(input_spec(model, 32, 100))
    y = np.asarray(model.predict(x, verbose=0))
    rel = f"{FILE_DIR}/mobilenet_025.keras"
    save_if_changed(model, data_dir / rel, deflate=True)
    saved.append(({"path": rel, "safe_mode": True}, x, [y]))
    w.add("file_mobilenet_025", {"kind": "keras_file", "path": rel, **record}, x=x, y=y)

    keras.backend.clear_session()
    inp = keras.Input((5, 6, 4))
    branch = keras.layers.Conv2D(4, 3, padding="same", name="branch")(inp)
    scaled = LayerScale(0.25, 4, name="scale")(branch)
    dropped = StochasticDepth(0.3, name="drop")(scaled)
    out = CustomScaleLayer(0.17, name="residual")([inp, dropped])
    out = keras.layers.GlobalAveragePooling2D()(out)
    model = keras.Model(inp, out)
    record, specs = weight_record(model), weight_specs(model)
    model.set_weights(recipe_weights(specs_list(specs), 101))
    x = seeded((3, 5, 6, 4), 101)
    y = np.asarray(model.predict(x, verbose=0))
    rel = f"{FILE_DIR}/applications_layers.keras"
    save_if_changed(model, data_dir / rel, deflate=True)
    saved.append(({"path": rel, "safe_mode": True}, x, [y]))
    lines = []
    model.summary(print_fn=lines.append)
    w.add("file_applications_layers", {"kind": "keras_file", "path": rel, "summary": "".join(lines), **record},
          x=x, y=y)

    # ---------------------------------------------------------------- the layers, one at a time
    classes = {"LayerScale": LayerScale, "StochasticDepth": StochasticDepth}
    singles = [("layerscale", "LayerScale", {"init_values": 1e-6, "projection_dim": 3}, (4, 3), False),
               ("layerscale_seeded", "LayerScale", {"init_values": 0.5, "projection_dim": 5}, (2, 3, 5), True),
               ("stochastic_depth", "StochasticDepth", {"drop_path_rate": 0.4}, (3, 2), False)]
    for i, (case_id, class_name, kwargs, shape, set_weights) in enumerate(singles, start=200):
        keras.backend.clear_session()
        layer = classes[class_name](**kwargs)
        inp = keras.Input(shape)
        out = layer(inp)
        model = keras.Model(inp, out)
        if set_weights:
            layer.set_weights([seeded(v.shape, i * 10 + j, -1.5, 1.5) for j, v in enumerate(layer.weights)])
        weights = [np.asarray(v) for v in layer.get_weights()]
        x = seeded((2,) + shape, i)
        y = np.asarray(model.predict(x, verbose=0))
        w.add(case_id, {"kind": "single", "class_name": class_name, "kwargs": kwargs, "input_shape": list(shape),
                        "n_weights": len(weights), "n_outputs": 1, "set_weights": set_weights,
                        "config": jsonable(layer.get_config()), "weight_paths": [v.path for v in layer.weights],
                        "weight_shapes": [list(v.shape) for v in layer.weights],
                        "trainable_weights": [v.path for v in layer.trainable_weights],
                        "params": int(layer.count_params()), "output_shapes": [list(out.shape)],
                        "serialized": jsonable(keras.saving.serialize_keras_object(layer))},
              x=x, y0=y, **{f"w{j}": v for j, v in enumerate(weights)})

    keras.backend.clear_session()
    layer = CustomScaleLayer(0.3)
    a, b = keras.Input((3, 4)), keras.Input((3, 4))
    model = keras.Model([a, b], layer([a, b]))
    xa, xb = seeded((2, 3, 4), 300), seeded((2, 3, 4), 301)
    y = np.asarray(model.predict([xa, xb], verbose=0))
    w.add("custom_scale_layer", {"kind": "two_inputs", "class_name": "CustomScaleLayer", "kwargs": {"scale": 0.3},
                                 "input_shape": [3, 4], "config": jsonable(layer.get_config()),
                                 "serialized": jsonable(keras.saving.serialize_keras_object(layer)),
                                 "output_shapes": [list(model.output.shape)]},
          x0=xa, x1=xb, y0=y)

    # ---------------------------------------------------------------- every builder's signature
    builders = sorted(name for name in dir(keras.applications) if name[0].isupper())
    signatures = {name: inspect.signature(getattr(keras.applications, name)).parameters.values() for name in builders}
    w.add("builder_signatures", {"kind": "signatures", "signatures": {
        name: [[p.name, jsonable(p.default)] for p in parameters] for name, parameters in signatures.items()}})

    check_keras_loads_model_files(data_dir, saved)
    return w.save(data_dir)
