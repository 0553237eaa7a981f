"""keras.applications architectures written by Keras 2 (tf-keras 2.21) as genuine `.h5` model files.

    TF_USE_LEGACY_KERAS=1 /tmp/tfkeras/bin/python tests/golden/gen_applications_h5.py tests/golden/data [id ...]
    (generate.py runs this through NNKERN_TFKERAS_PYTHON, default /tmp/tfkeras/bin/python). Given case ids,
    only those are built and the other committed cases keep their record and output (the largest
    architectures take minutes each).

What is committed, and why: for each architecture, the `model_config` attribute exactly as tf-keras
wrote it into the `.h5` file (xz-compressed JSON: half gzip's size), the names and shapes of
`model.weights` and the per-layer weight names of the file's `model_weights` group
(`<id>.weights.json.xz`), and tf-keras's output on a seeded input with weights from the seeded recipe of
_applications_recipe.py (applied in `model.weights` order); the test rebuilds the model through the
legacy `.h5` config path and applies the same recipe.
Random per-element weights are what make the output comparison informative: a kernel read transposed or
two same-shaped weights swapped change the output. The alternative, a genuine file whose datasets hold
one gzip-compressed constant each, keeps the file's weight-to-layer mapping but makes every
convolution's output constant across channels and positions, so most such errors would go unseen. The
mapping such a file would check (the i-th layer with weights takes the i-th weight group, its weights in
the group's order) is checked here from the stored layout: layer names and weight counts in order, and
shapes in `model.weights` order. One small genuine file (MobileNet at alpha 0.25, weights rounded to
multiples of 1/32, datasets re-written gzip-compressed in HDF5's latest format: 0.3 MB instead of
0.9 MB) is also committed whole and loaded end to end through `load_model`.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
CONFIG_DIR = "applications_h5"
FILE_DIR = "saving/applications"
BATCH = 2

# (case id, tf_keras.applications builder, its arguments, image size)
ARCHITECTURES = [
    ("mobilenet_v2_035", "MobileNetV2", {"alpha": 0.35}, 32),
    ("resnet50", "ResNet50", {}, 32),
    ("efficientnet_b0", "EfficientNetB0", {}, 32),
    ("densenet121", "DenseNet121", {}, 32),
    ("inception_v3", "InceptionV3", {}, 75),
    ("convnext_tiny", "ConvNeXtTiny", {}, 32),
    ("inception_resnet_v2", "InceptionResNetV2", {}, 75),
    ("mobilenet_v3_small", "MobileNetV3Small", {}, 32),
    ("efficientnet_v2_b0", "EfficientNetV2B0", {}, 32),
    ("regnetx002", "RegNetX002", {}, 32),
    ("regnety002", "RegNetY002", {}, 32),
    ("resnetrs50", "ResNetRS50", {}, 32),
    # Appended (earlier cases keep their seeds): the rest of the families nnkern.applications builds, and
    # every RegNetX / RegNetY / ResNetRS variant (tf-keras only).
    ("vgg16", "VGG16", {}, 32),
    ("vgg19", "VGG19", {"include_top": False, "pooling": "max"}, 32),
    ("resnet101", "ResNet101", {}, 32),
    ("resnet152", "ResNet152", {"include_top": False, "pooling": "avg"}, 32),
    ("resnet50_v2", "ResNet50V2", {}, 32),
    ("resnet101_v2", "ResNet101V2", {"include_top": False, "pooling": "max"}, 32),
    ("resnet152_v2", "ResNet152V2", {}, 32),
    ("densenet169", "DenseNet169", {}, 32),
    ("densenet201", "DenseNet201", {"include_top": False, "pooling": "avg"}, 32),
    ("xception", "Xception", {}, 71),
    ("convnext_small", "ConvNeXtSmall", {}, 32),
    ("convnext_base", "ConvNeXtBase", {"include_preprocessing": False}, 32),
    ("convnext_large", "ConvNeXtLarge", {"include_top": False, "pooling": "max"}, 32),
    ("convnext_xlarge", "ConvNeXtXLarge", {}, 32),
    *[(f"regnet{kind.lower()}{size}", f"RegNet{kind}{size}", {}, 32) for kind in "XY"
      for size in ("004", "006", "008", "016", "032", "040", "064", "080", "120", "160", "320")],
    *[(f"resnetrs{depth}", f"ResNetRS{depth}", {}, 32) for depth in (101, 152, 200, 270)],
    # Appended: every other architecture tf-keras builds.
    *[(f"efficientnet_b{i}", f"EfficientNetB{i}", {}, 32) for i in range(1, 8)],
    *[(f"efficientnet_v2_{size.lower()}", f"EfficientNetV2{size}", {}, 32)
      for size in ("B1", "B2", "B3", "S", "M", "L")],
    ("mobilenet_050", "MobileNet", {"alpha": 0.5}, 32),
    ("mobilenet_100_avg", "MobileNet", {"include_top": False, "pooling": "avg"}, 32),
    ("mobilenet_v3_large", "MobileNetV3Large", {}, 32),
    ("mobilenet_v3_large_minimalistic", "MobileNetV3Large", {"minimalistic": True, "alpha": 0.75}, 32),
    ("nasnet_mobile", "NASNetMobile", {}, 32),
    ("nasnet_large", "NASNetLarge", {}, 32),
    ("resnetrs350", "ResNetRS350", {}, 32),
    ("resnetrs420", "ResNetRS420", {}, 32),
]


def generate(data_dir, case_ids=()):
    """Runs this file under tf-keras (a separate interpreter: Keras 3 and tf-keras do not share one)."""
    python = os.environ.get("NNKERN_TFKERAS_PYTHON", "/tmp/tfkeras/bin/python")
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "CUDA_VISIBLE_DEVICES": "-1"}
    subprocess.run([python, __file__, str(data_dir), *case_ids], env=env, check=True)
    return len(ARCHITECTURES) + 1


def h5_layout(path):
    """model_config text and [(layer name, [weight names])] of the layers with weights, in file order, read
    as tf-keras reads them (an attribute over 64 kB is split: ResNetRS350's layer_names)."""
    import h5py
    from tf_keras.src.saving.legacy.hdf5_format import load_attributes_from_hdf5_group

    with h5py.File(path, "r") as f:
        config = f.attrs["model_config"]
        config = config.decode("utf-8") if isinstance(config, bytes) else str(config)
        group = f["model_weights"]
        layers = []
        for name in load_attributes_from_hdf5_group(group, "layer_names"):
            names = load_attributes_from_hdf5_group(group[name], "weight_names")
            if names:
                layers.append([name, names])
    return config, layers


def main(data_dir, case_ids=()):
    """Every case, or (case ids given) only those: the other committed cases keep their record and output."""
    import tf_keras
    sys.path.insert(0, str(HERE))
    from _applications_recipe import recipe_input, recipe_weights, set_recipe_weights
    from _golden_io import GoldenWriter, load_cases, write_compressed

    missing = {n for n in dir(tf_keras.applications) if n[0].isupper()} - {b for _, b, *_ in ARCHITECTURES}
    assert not missing, f"tf-keras builders without a case: {sorted(missing)}"
    data_dir = pathlib.Path(data_dir)
    w = GoldenWriter("applications_h5")
    kept = {case["id"]: (case, arrays) for case, arrays in load_cases("applications_h5", data_dir)} \
        if case_ids else {}
    unknown = set(case_ids) - {case_id for case_id, *_ in ARCHITECTURES} - {"file_mobilenet_025_tfkeras"}
    assert not unknown, f"no such case: {sorted(unknown)}"

    def skip(case_id):
        """Whether the case is not to be built: case ids were given and it is not one of them. A case
        committed already is then added again unchanged (one not committed yet stays out)."""
        if not case_ids or case_id in case_ids:
            return False
        if case_id in kept:
            case, arrays = kept[case_id]
            w.add(case_id, {k: v for k, v in case.items() if k != "id"}, **arrays)
        return True

    tmp = pathlib.Path(tempfile.mkdtemp())

    def build(builder, kwargs, size):
        tf_keras.backend.clear_session()
        top = kwargs.get("include_top", True)
        return getattr(tf_keras.applications, builder)(
            weights=None, input_shape=(size, size, 3),
            **({"classes": 10, "classifier_activation": None} if top else {}), **kwargs)

    def record_of(model):
        trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
        return {"params": int(model.count_params()), "trainable_params": trainable,
                "non_trainable_params": int(model.count_params()) - trainable}

    def specs_of(model):
        return {"weight_names": [v.name for v in model.weights],
                "weight_shapes": [list(v.shape) for v in model.weights]}

    def input_spec(model, size, seed):
        rescales = any(type(layer).__name__ == "Rescaling" for layer in model.layers)
        low, high = (0.0, 255.0) if rescales else (-1.0, 1.0)
        return {"shape": [BATCH, size, size, 3], "seed": seed, "low": low, "high": high}

    for seed, (case_id, builder, kwargs, size) in enumerate(ARCHITECTURES, start=1):
        if skip(case_id):
            assert case_id not in kept or kept[case_id][0]["seed"] == seed, case_id
            continue
        model = build(builder, kwargs, size)
        record, specs = record_of(model), specs_of(model)
        set_recipe_weights(model, list(zip(specs["weight_names"], specs["weight_shapes"])), seed)
        for layer in model._flatten_layers():  # as set_weights does: EfficientNet's Normalization uses its weights
            layer.finalize_state()
        x_spec = input_spec(model, size, seed)
        y = np.asarray(model.predict(recipe_input(x_spec), verbose=0))
        assert np.all(np.isfinite(y)), case_id
        model.save(tmp / f"{case_id}.h5")
        config, layers = h5_layout(tmp / f"{case_id}.h5")
        (tmp / f"{case_id}.h5").unlink()  # up to 1.4 GB each
        rel = f"{CONFIG_DIR}/{case_id}.json.xz"
        write_compressed(data_dir / rel, config)
        weights_rel = f"{CONFIG_DIR}/{case_id}.weights.json.xz"
        write_compressed(data_dir / weights_rel, json.dumps({**specs, "h5_layers": layers}))
        print(f"  {case_id}: {record['params']:,} params, y std {y.std():.3g}, max |y| {np.abs(y).max():.3g}")
        w.add(case_id, {"kind": "architecture", "builder": builder, "kwargs": kwargs, "image_size": size,
                        "seed": seed, "config": rel, "weights": weights_rel, "input": x_spec, **record}, y=y)

    if skip("file_mobilenet_025_tfkeras"):
        w.save(data_dir)
        return
    model = build("MobileNet", {"alpha": 0.25}, 32)
    record, specs = record_of(model), specs_of(model)
    weights = recipe_weights(list(zip(specs["weight_names"], specs["weight_shapes"])), 100)
    model.set_weights([np.round(v * 32) / 32 if "variance" not in n else v
                       for v, n in zip(weights, specs["weight_names"])])
    x = recipe_input(input_spec(model, 32, 100))
    y = np.asarray(model.predict(x, verbose=0))
    rel = f"{FILE_DIR}/mobilenet_025_tfkeras.h5"
    (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    fresh = tmp / "file.h5"
    import h5py
    model.save(fresh)
    # Re-write every dataset gzip-compressed (h5py reads it transparently): same groups, attributes, values.
    with h5py.File(fresh, "r") as src, h5py.File(tmp / "small.h5", "w", libver="latest") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = dst.require_group(name)
                for key, value in obj.attrs.items():
                    g.attrs[key] = value
            else:
                d = dst.create_dataset(name, data=obj[()], compression="gzip", compression_opts=9,
                                       shuffle=True) if obj.shape else dst.create_dataset(name, data=obj[()])
                for key, value in obj.attrs.items():
                    d.attrs[key] = value
        src.visititems(copy)
    (data_dir / rel).write_bytes((tmp / "small.h5").read_bytes())
    reloaded = tf_keras.models.load_model(data_dir / rel, compile=False)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), y, rtol=1e-5, atol=1e-6)
    w.add("file_mobilenet_025_tfkeras", {"kind": "h5_file", "path": rel, **record}, x=x, y=y)
    w.save(data_dir)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE / "data", tuple(sys.argv[2:]))
