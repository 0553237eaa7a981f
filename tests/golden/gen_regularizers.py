"""keras.regularizers and keras.constraints goldens from Keras 3: for each object, `serialize()` (the dict
layers write into get_config), the penalty (regularizers) or projected weight (constraints) on a fixed
array, and the config of a Dense / Conv2D / LSTM / BatchNormalization layer given such objects or names.

Writes data/regularizers.json.gz and data/regularizers.npz (`<case>/w`, `<case>/out`)."""
import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import seeded

R = keras.regularizers
C = keras.constraints


def generate(data_dir):
    writer = GoldenWriter("regularizers")
    w = seeded((4, 3), 1, -2.0, 2.0)
    objects = {
        "l1": R.L1(0.3), "l2": R.L2(0.05), "l1l2": R.L1L2(l1=0.01, l2=0.02), "l1l2_default": R.L1L2(),
        "orthogonal_rows": R.OrthogonalRegularizer(0.1),
        "max_norm": C.MaxNorm(1.5), "max_norm_axis1": C.MaxNorm(2.0, axis=1), "non_neg": C.NonNeg(),
        "unit_norm": C.UnitNorm(), "min_max_norm": C.MinMaxNorm(0.5, 1.2, rate=0.7, axis=1),
    }
    for case, obj in objects.items():
        kind = "regularizer" if isinstance(obj, R.Regularizer) else "constraint"
        module = R if kind == "regularizer" else C
        writer.add(case, {"kind": kind, "serialized": module.serialize(obj)}, w=w,
                   out=np.asarray(obj(keras.ops.convert_to_tensor(w))))
    # On a tensor, as a layer's weight is: Keras 3.15's numpy path of normalize() takes axis 0 for -1.
    columns = R.OrthogonalRegularizer(0.2, "columns")
    writer.add("orthogonal_columns", {"kind": "regularizer", "serialized": R.serialize(columns)}, w=w,
               out=np.asarray(columns(keras.ops.convert_to_tensor(w))))
    for name in ("l1", "l2", "l1l2", "L1L2", "orthogonal_regularizer"):
        writer.add(f"name_{name}", {"kind": "regularizer_name", "name": name,
                                    "serialized": R.serialize(R.get(name))})
    for name in ("max_norm", "non_neg", "unit_norm", "min_max_norm", "MaxNorm"):
        writer.add(f"name_{name}", {"kind": "constraint_name", "name": name, "serialized": C.serialize(C.get(name))})
    layers = {
        "dense": keras.layers.Dense(3, kernel_regularizer="l2", bias_regularizer=R.L1(0.2),
                                    activity_regularizer=R.L2(0.1), kernel_constraint=C.MaxNorm(3),
                                    bias_constraint="non_neg"),
        "conv2d": keras.layers.Conv2D(2, 3, kernel_regularizer=R.L1L2(0.1, 0.2), bias_constraint=C.UnitNorm()),
        "lstm": keras.layers.LSTM(2, kernel_regularizer="l1", recurrent_regularizer=R.L2(0.3),
                                  recurrent_constraint=C.NonNeg()),
        "batch_norm": keras.layers.BatchNormalization(beta_regularizer="l2", gamma_constraint=C.MinMaxNorm()),
        "embedding": keras.layers.Embedding(5, 2, embeddings_regularizer="l1", embeddings_constraint="unit_norm"),
    }
    for case, layer in layers.items():
        config = layer.get_config()
        keys = sorted(k for k in config if k.endswith(("_regularizer", "_constraint")))
        writer.add(f"layer_{case}", {"kind": "layer", "class_name": type(layer).__name__,
                                     "arguments": {k: config[k] for k in keys}})
    return writer.save(data_dir)
