"""Goldens for nnkern.ops, nnkern.losses, nnkern.metrics and nnkern.utils from Keras 3 (JAX backend).

Every case calls one function (or loss / metric class) on a few small shared inputs (the "inputs"
case) and stores Keras's result with its dtype; see _op_cases.py for the case format. Inputs cover
float32, int32, int8, uint8, bool, float64 / int64 (narrowed to 32 bits, as Keras does) and Python
scalars (weak types). Reductions run over several axis / keepdims combinations; losses with their
default reduction, other reductions, sample weights and from_logits; metrics over two batches, the
second with sample weights. A dtype-promotion table comes from keras.backend.result_type.
"""
from ast import literal_eval

import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import seeded
from _op_cases import case, flatten_result, fn_case, run_case
from _op_tables import op_cases


def grid(shape, seed, low, high, steps=64):
    """Seeded values on a 1/steps grid: exact in float32 and compressible."""
    return seeded(shape, seed, low, high, steps=steps)


def _inputs():
    rng = np.random.default_rng(7)
    probs = grid((4, 3), 5, 0.05, 0.95)
    logits = grid((4, 3), 6, -3, 3)
    return {
        "x": grid((2, 3, 4), 1, -2, 2),
        "y": grid((2, 3, 4), 2, -2, 2),
        "pos": grid((2, 3, 4), 3, 0.125, 3),
        "unit": grid((2, 3), 4, -0.9, 0.9),
        "x2": grid((2, 3), 8, -2, 2),
        "v": np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5], np.float32),
        "vec4": np.array([1.0, -2.0, 0.5, 3.0], np.float32),
        "special": np.array([np.nan, np.inf, -np.inf, 1.0, -0.0], np.float32),
        "ties": np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 0.0]], np.float32),
        "sq": grid((1, 3, 1), 9, -2, 2),
        "m1": grid((3, 4), 10, -2, 2),
        "m2": grid((4, 2), 11, -2, 2),
        "bm1": grid((2, 3, 4), 12, -2, 2),
        "bm2": grid((2, 4, 2), 13, -2, 2),
        "upd": grid((2, 2, 2), 14, -2, 2),
        "i": np.array([[-3, 0, 2], [5, -1, 4]], np.int32),
        "i2": np.array([[1, 2, 3], [4, 5, 7]], np.int32),
        "im": np.array([[1, 2], [3, 4]], np.int32),
        "i8": np.array([[-3, 0, 2], [100, -1, 4]], np.int8),
        "i8sq": np.array([[100, -3], [7, 50]], np.int8),
        "u8": np.array([[3, 0, 2], [200, 1, 250]], np.uint8),
        "i64": np.array([[1, 2, 3], [4, 5, 6]], np.int64),
        "x64": np.array([[0.1, -0.2, 0.3], [1.5, 2.5, -3.5]], np.float64),
        "f16": np.array([[0.1, -0.2, 0.3], [1.5, 2.5, -3.5]], np.float16),
        "b": np.array([[True, False, True], [False, False, True]]),
        "b2": np.array([[True, True, False], [False, True, True]]),
        "b_true": np.ones((2, 3), bool),
        "idx": np.array([2, 0, 1], np.int32),
        "idx_neg": np.array([-1, 0], np.int32),
        "idx2": np.array([[0, 5], [23, 7]], np.int32),
        "idx_along": np.array([[3, 0], [1, 1], [2, 0]], np.int32),
        "labels": np.array([0, 2, 1, 0], np.int32),
        "labels_oob": np.array([0, 3, -1, 1], np.int32),
        "labels2d": np.array([[0, 3], [2, 1]], np.int32),
        "labels_col": np.array([[1], [0], [2], [2]], np.int32),
        # classification and regression pairs, 4 samples x 3
        "probs": probs,
        "logits": logits,
        "dist": np.asarray(keras.ops.softmax(logits)),
        "onehot": np.eye(3, dtype=np.float32)[[0, 2, 1, 0]],
        "bin_true": np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]], np.float32),
        "pm_true": np.array([[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, -1]], np.float32),
        "bin_col_true": np.array([[1], [0], [1], [1]], np.float32),
        "bin_col_pred": grid((4, 1), 15, 0.05, 0.95),
        "reg_true": grid((4, 3), 16, -2, 2),
        "reg_pred": grid((4, 3), 17, -2, 2),
        "reg_pos_true": grid((4, 3), 18, 0.0, 3),
        "reg_pos_pred": grid((4, 3), 19, 0.125, 3),
        "probs_edge": np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]], np.float32),
        "empty": np.zeros((0, 3), np.float32),
        "empty_labels": np.zeros((0,), np.int32),
        # sequences: 2 samples x 3 steps x 4 features / classes
        "seq_true": grid((2, 3, 4), 20, -2, 2),
        "seq_pred": grid((2, 3, 4), 21, -2, 2),
        "seq_probs": np.asarray(keras.ops.softmax(grid((2, 3, 4), 22, -3, 3))),
        "seq_labels": np.array([[0, 3, 1], [2, 2, 0]], np.int32),
        "seq_sw": np.array([[1.0, 0.0, 0.5], [2.0, 1.0, 1.0]], np.float32),
        "seq_sw_batch": np.array([0.5, 2.0], np.float32),
        # images (1, 5, 5, 4) and sequences (2, 7, 4) for conv / pooling, kernels as Keras's layers store them
        "img": grid((1, 5, 5, 4), 23, -2, 2),
        "img_cf": grid((1, 4, 5, 5), 23, -2, 2),
        "seq": grid((2, 7, 4), 24, -2, 2),
        "k2": grid((2, 2, 4, 3), 25, -1, 1),
        "k2_groups": grid((3, 3, 2, 4), 26, -1, 1),
        "k2_depthwise": grid((3, 3, 4, 2), 27, -1, 1),
        "k2_transpose": grid((3, 3, 3, 4), 28, -1, 1),
        "k1": grid((3, 4, 5), 29, -1, 1),
        "k1_depthwise": grid((3, 4, 2), 30, -1, 1),
        "k1_transpose": grid((3, 5, 4), 31, -1, 1),
        "sw": np.array([1.0, 0.5, 0.0, 2.0], np.float32),
        "sw_col": np.array([[1.0], [0.5], [0.0], [2.0]], np.float32),
        "rand": rng.integers(0, 3, size=(4,)).astype(np.int32),
        "nb_true": np.array([1.0, 0.0, 1.0], np.float32),
        "nb_pred": np.array([0.9, 0.7, 0.8], np.float32),
        "nb_sparse_true": np.array([1.0], np.float32),
        "nb_sparse_pred": np.array([[0.01, 0.01, 0.96, 0.01, 0.01]], np.float32),
    }


# The result dtype of one-input ops for inputs of each dtype (values only in the cases above).
DTYPE_SWEEP_OPS = ["abs", "negative", "sign", "square", "sqrt", "exp", "log1p", "floor", "ceil", "round", "sin",
                   "tanh", "relu", "sigmoid", "softmax", "softplus", "sum", "mean", "max", "prod", "std", "argmax",
                   "cumsum", "cumprod", "reciprocal", "isnan", "logical_not", "any", "count_nonzero", "relu6", "elu",
                   "silu", "gelu", "leaky_relu", "log_softmax", "hard_sigmoid", "normalize", "logsumexp", "erf",
                   "sort", "norm"]
DTYPE_SWEEP_DTYPES = ["bool", "uint8", "uint16", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PROMOTION_DTYPES = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "float16",
                    "float32", "float64"]


REGRESSION_LOSSES = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
                     "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh"]
LOSS_CLASSES = {  # class: (y_true, y_pred, constructor variants)
    "MeanSquaredError": ("reg_true", "reg_pred", [{}]),
    "MeanAbsoluteError": ("reg_true", "reg_pred", [{}]),
    "MeanAbsolutePercentageError": ("reg_true", "reg_pred", [{}]),
    "MeanSquaredLogarithmicError": ("reg_pos_true", "reg_pos_pred", [{}]),
    "CosineSimilarity": ("reg_true", "reg_pred", [{}, {"axis": 0}]),
    "Huber": ("reg_true", "reg_pred", [{}, {"delta": 0.5}]),
    "LogCosh": ("reg_true", "reg_pred", [{}]),
    "Hinge": ("pm_true", "logits", [{}]),
    "SquaredHinge": ("bin_true", "logits", [{}]),
    "CategoricalHinge": ("onehot", "logits", [{}]),
    "KLDivergence": ("dist", "probs", [{}]),
    "Poisson": ("reg_pos_true", "reg_pos_pred", [{}]),
    "BinaryCrossentropy": ("bin_true", "probs", [{}, {"from_logits": True}, {"label_smoothing": 0.2}]),
    "CategoricalCrossentropy": ("onehot", "probs", [{}, {"from_logits": True}, {"label_smoothing": 0.1}]),
    "SparseCategoricalCrossentropy": ("labels", "probs", [{}, {"from_logits": True}, {"ignore_class": 1}]),
}


REDUCTION_CLASSES = ["MeanSquaredError", "CosineSimilarity", "Huber", "BinaryCrossentropy", "CategoricalCrossentropy",
                     "SparseCategoricalCrossentropy"]


# The loss functions' cases after those of REGRESSION_LOSSES: case id (after loss_fn_), losses.<function>, y_true,
# y_pred (names of _inputs() arrays), keyword arguments.
LOSS_FUNCTION_CASES = """
    msle_pos          mean_squared_logarithmic_error  reg_pos_true   reg_pos_pred
    huber_delta       huber                           reg_true       reg_pred       delta=0.5
    hinge_pm          hinge                           pm_true        logits
    hinge_01          hinge                           bin_true       logits
    squared_hinge     squared_hinge                   bin_true       logits
    categorical_hinge categorical_hinge               onehot         logits
    kl_divergence     kl_divergence                   dist           probs
    poisson           poisson                         reg_pos_true   reg_pos_pred
    bce               binary_crossentropy             bin_true       probs
    bce_logits        binary_crossentropy             bin_true       logits         from_logits=True
    bce_smoothing     binary_crossentropy             bin_true       probs          label_smoothing=0.2
    bce_column        binary_crossentropy             bin_col_true   bin_col_pred
    bce_notebook      binary_crossentropy             nb_true        nb_pred
    cce               categorical_crossentropy        onehot         probs
    cce_logits        categorical_crossentropy        onehot         logits         from_logits=True
    cce_smoothing     categorical_crossentropy        onehot         probs          label_smoothing=0.1
    cce_axis0         categorical_crossentropy        onehot         probs          axis=0
    scce              sparse_categorical_crossentropy labels         probs
    scce_column       sparse_categorical_crossentropy labels_col     probs
    scce_logits       sparse_categorical_crossentropy labels         logits         from_logits=True
    scce_ignore       sparse_categorical_crossentropy labels         probs          ignore_class=0
    scce_notebook     sparse_categorical_crossentropy nb_sparse_true nb_sparse_pred
    int_inputs        mean_squared_error              i              i2
    bce_edges         binary_crossentropy             bin_true       probs_edge
    cce_edges         categorical_crossentropy        onehot         probs_edge
    kld_edges         kl_divergence                   bin_true       probs_edge
    poisson_edges     poisson                         bin_true       probs_edge
    mse_seq           mean_squared_error              seq_true       seq_pred
    cce_seq           categorical_crossentropy        seq_probs      seq_probs
    scce_seq          sparse_categorical_crossentropy seq_labels     seq_probs
    mse_empty         mean_squared_error              empty          empty
"""


def loss_cases():
    out = []

    def fn(case_id, call, *args, **kwargs):
        out.append(case(case_id, call, *args, **kwargs))

    for name in REGRESSION_LOSSES:
        fn(f"loss_fn_{name}", f"losses.{name}", "@reg_true", "@reg_pred")
    for row in LOSS_FUNCTION_CASES.strip().splitlines():
        suffix, loss, y_true, y_pred, *options = row.split()
        kwargs = {k: literal_eval(v) for k, v in (option.split("=") for option in options)}
        fn(f"loss_fn_{suffix}", f"losses.{loss}", f"@{y_true}", f"@{y_pred}", **kwargs)

    for cls, (t, p, variants) in LOSS_CLASSES.items():
        for n, init in enumerate(variants):
            base = {"kind": "object", "call": f"losses.{cls}", "init": init, "args": [f"@{t}", f"@{p}"]}
            out.append((f"loss_{cls}_{n}", base))
            if n == 0:
                out.append((f"loss_{cls}_sw", {**base, "kwargs": {"sample_weight": "@sw"}}))
            if n == 0 and cls in REDUCTION_CLASSES:
                for reduction in ["sum", "none", "mean_with_sample_weight"]:
                    out.append((f"loss_{cls}_{reduction}",
                                {**base, "init": {"reduction": reduction}, "kwargs": {"sample_weight": "@sw"}}))
    base = {"kind": "object", "call": "losses.MeanSquaredError", "args": ["@reg_true", "@reg_pred"]}
    out.append(("loss_mse_sw_column", {**base, "kwargs": {"sample_weight": "@sw_col"}}))
    out.append(("loss_mse_reduction_mean", {**base, "init": {"reduction": "mean"}}))
    out.append(("loss_mse_reduction_none_unweighted", {**base, "init": {"reduction": None}}))
    for reduction in ["sum_over_batch_size", "sum", "none"]:
        for sw in [None, "seq_sw", "seq_sw_batch"]:
            kwargs = {"sample_weight": f"@{sw}"} if sw else {}
            # Keras 3 does not broadcast (batch,) weights over per-step losses: an error.
            error = {"expect_error": True} if sw == "seq_sw_batch" else {}
            out.append((f"loss_seq_mse_{reduction}_{sw}", {"kind": "object", "call": "losses.MeanSquaredError",
                                                           "init": {"reduction": reduction},
                                                           "args": ["@seq_true", "@seq_pred"], "kwargs": kwargs,
                                                           **error}))
            out.append((f"loss_seq_scce_{reduction}_{sw}",
                        {"kind": "object", "call": "losses.SparseCategoricalCrossentropy",
                         "init": {"reduction": reduction}, "args": ["@seq_labels", "@seq_probs"], "kwargs": kwargs,
                         **error}))
    out.append(("loss_seq_scce_ignore", {"kind": "object", "call": "losses.SparseCategoricalCrossentropy",
                                         "init": {"ignore_class": 2}, "args": ["@seq_labels", "@seq_probs"],
                                         "kwargs": {"sample_weight": "@seq_sw"}}))
    out.append(("loss_mse_empty", {"kind": "object", "call": "losses.MeanSquaredError", "args": ["@empty", "@empty"]}))
    out.append(("loss_mse_int", {"kind": "object", "call": "losses.MeanSquaredError", "args": ["@i", "@i2"]}))
    out.append(("loss_bce_column", {"kind": "object", "call": "losses.BinaryCrossentropy",
                                    "args": ["@bin_col_true", "@bin_col_pred"], "kwargs": {"sample_weight": "@sw"}}))
    out.append(("loss_scce_ignore_sw", {"kind": "object", "call": "losses.SparseCategoricalCrossentropy",
                                        "init": {"ignore_class": 0}, "args": ["@labels", "@probs"],
                                        "kwargs": {"sample_weight": "@sw"}}))
    return out


METRIC_CLASSES = {  # class: (y_true, y_pred, init)
    "Accuracy": ("rand", "labels", {}),
    "BinaryAccuracy": ("bin_true", "probs", {}),
    "CategoricalAccuracy": ("onehot", "logits", {}),
    "SparseCategoricalAccuracy": ("labels", "logits", {}),
    "TopKCategoricalAccuracy": ("onehot", "logits", {"k": 2}),
    "SparseTopKCategoricalAccuracy": ("labels", "logits", {"k": 2}),
    "MeanSquaredError": ("reg_true", "reg_pred", {}),
    "MeanAbsoluteError": ("reg_true", "reg_pred", {}),
    "MeanAbsolutePercentageError": ("reg_true", "reg_pred", {}),
    "MeanSquaredLogarithmicError": ("reg_pos_true", "reg_pos_pred", {}),
    "RootMeanSquaredError": ("reg_true", "reg_pred", {}),
    "CosineSimilarity": ("reg_true", "reg_pred", {}),
    "LogCoshError": ("reg_true", "reg_pred", {}),
    "Hinge": ("pm_true", "logits", {}),
    "SquaredHinge": ("pm_true", "logits", {}),
    "CategoricalHinge": ("onehot", "logits", {}),
    "KLDivergence": ("dist", "probs", {}),
    "Poisson": ("reg_pos_true", "reg_pos_pred", {}),
    "BinaryCrossentropy": ("bin_true", "probs", {}),
    "CategoricalCrossentropy": ("onehot", "probs", {}),
    "SparseCategoricalCrossentropy": ("labels", "logits", {"from_logits": True}),
}
METRIC_FUNCTIONS = {
    "binary_accuracy": ("bin_true", "probs", {}),
    "categorical_accuracy": ("onehot", "logits", {}),
    "sparse_categorical_accuracy": ("labels", "logits", {}),
    "sparse_categorical_accuracy_column": ("labels_col", "logits", {}),
    "top_k_categorical_accuracy": ("onehot", "logits", {"k": 2}),
    "sparse_top_k_categorical_accuracy": ("labels", "logits", {"k": 1}),
}


def metric_cases():
    out = []
    for cls, (t, p, init) in METRIC_CLASSES.items():
        first = {"args": [f"@{t}", f"@{p}"]}
        second = {"args": [f"@{t}", f"@{p}"], "kwargs": {"sample_weight": "@sw"}}
        out.append((f"metric_{cls}", {"kind": "metric", "call": f"metrics.{cls}", "init": init,
                                      "updates": [first, second]}))
    out.append(("metric_Mean", {"kind": "metric", "call": "metrics.Mean", "updates": [
        {"args": ["@v"]}, {"args": ["@reg_true"], "kwargs": {"sample_weight": "@sw"}}]}))
    out.append(("metric_BinaryAccuracy_threshold", {"kind": "metric", "call": "metrics.BinaryAccuracy",
                                                    "init": {"threshold": 0.7},
                                                    "updates": [{"args": ["@bin_true", "@probs"]}]}))
    out.append(("metric_BinaryAccuracy_column", {"kind": "metric", "call": "metrics.BinaryAccuracy",
                                                 "updates": [{"args": ["@bin_col_true", "@bin_col_pred"]}]}))
    for cls, t, p in [("MeanSquaredError", "seq_true", "seq_pred"),
                      ("SparseCategoricalAccuracy", "seq_labels", "seq_probs"),
                      ("CategoricalAccuracy", "seq_probs", "seq_probs"),
                      ("RootMeanSquaredError", "seq_true", "seq_pred"),
                      ("SparseCategoricalCrossentropy", "seq_labels", "seq_probs")]:
        out.append((f"metric_seq_{cls}", {"kind": "metric", "call": f"metrics.{cls}", "updates": [
            {"args": [f"@{t}", f"@{p}"], "kwargs": {"sample_weight": "@seq_sw"}},
            {"args": [f"@{t}", f"@{p}"], "kwargs": {"sample_weight": "@seq_sw_batch"}}]}))
    out.append(("metric_mse_empty_then_full", {"kind": "metric", "call": "metrics.MeanSquaredError", "updates": [
        {"args": ["@empty", "@empty"]}, {"args": ["@reg_true", "@reg_pred"]}]}))
    out.append(("metric_mse_weight_column", {"kind": "metric", "call": "metrics.MeanSquaredError", "updates": [
        {"args": ["@reg_true", "@reg_pred"], "kwargs": {"sample_weight": "@sw_col"}}]}))
    out.append(("metric_mean_int", {"kind": "metric", "call": "metrics.Mean", "updates": [{"args": ["@i"]}]}))
    out.append(("metric_top_k_large_k", {"kind": "metric", "call": "metrics.SparseTopKCategoricalAccuracy",
                                         "init": {"k": 5}, "updates": [{"args": ["@labels", "@logits"]}]}))
    out.append(("metric_accuracy_float", {"kind": "metric", "call": "metrics.Accuracy",
                                          "updates": [{"args": ["@bin_true", "@probs_edge"]}]}))
    for name, (t, p, kwargs) in METRIC_FUNCTIONS.items():
        out.append((f"metric_fn_{name}", fn_case(f"metrics.{name.replace('_column', '')}", [f"@{t}", f"@{p}"],
                                                  kwargs)))
    return out


LOSS_IDENTIFIERS = ["mse", "MSE", "mae", "mape", "msle", "kld", "mean_squared_error", "binary_crossentropy",
                    "categorical_crossentropy", "sparse_categorical_crossentropy", "huber", "log_cosh",
                    "hinge", "poisson", "MeanSquaredError", "BinaryCrossentropy", "logcosh", "acc"]
METRIC_IDENTIFIERS = ["mse", "mae", "accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                      "sparse_categorical_accuracy", "mean_squared_error", "MeanSquaredError",
                      "binary_crossentropy", "AUC_nope", "top_k_categorical_accuracy", "root_mean_squared_error"]


def _lookup(get, identifier):
    """What keras.<module>.get returns for a name: a function's name, an instance's class, or the error."""
    try:
        obj = get(identifier)
    except Exception as exc:  # noqa: BLE001 - the kind of error is the golden
        return {"error": type(exc).__name__}
    if isinstance(obj, type):
        return {"class": obj.__name__}
    if hasattr(obj, "update_state") or hasattr(obj, "reduction"):
        return {"instance": type(obj).__name__}
    return {"function": obj.__name__}


def generate(data_dir):
    w = GoldenWriter("ops")
    inputs = _inputs()
    w.add("inputs", {"kind": "inputs"}, **inputs)
    for case_id, case in op_cases() + loss_cases() + metric_cases():
        try:
            structure, arrays, value = flatten_result(run_case(case, inputs, keras))
        except Exception as exc:
            if not case.get("expect_error"):
                exc.add_note(f"in golden case {case_id}")
                raise
            structure, arrays, value = "error", {}, type(exc).__name__
        if structure != "array":
            case = {**case, "structure": structure, "value": value}
        w.add(case_id, case, **arrays)
    names = PROMOTION_DTYPES + ["int", "float"]
    table = []
    for a in names:
        row = []
        for b in names:
            try:
                row.append(keras.backend.result_type(*({"int": int, "float": float}.get(d, d) for d in (a, b))))
            except Exception as exc:  # noqa: BLE001
                row.append(f"error:{type(exc).__name__}")
        table.append(row)
    w.add("result_type", {"kind": "result_type", "dtypes": names, "table": table})
    sweep = {}
    for op in DTYPE_SWEEP_OPS:
        dtypes = []
        for d in DTYPE_SWEEP_DTYPES:
            x = (np.arange(6).reshape(2, 3) % 3 + (d != "bool")).astype(d)
            try:
                dtypes.append(str(np.asarray(getattr(keras.ops, op)(x)).dtype))
            except Exception:  # noqa: BLE001 - Keras rejects this dtype
                dtypes.append("error")
        sweep[op] = " ".join(dtypes)
    w.add("dtype_sweep", {"kind": "dtype_sweep", "dtypes": " ".join(DTYPE_SWEEP_DTYPES), "results": sweep})
    for module, identifiers in [("losses", LOSS_IDENTIFIERS), ("metrics", METRIC_IDENTIFIERS)]:
        get = getattr(keras, module).get
        w.add(f"{module}_get", {"kind": "get", "module": module,
                                "results": {ident: _lookup(get, ident) for ident in identifiers}})
    # one space-separated string per namespace (a JSON list would take a line per name)
    public = lambda module: " ".join(sorted(n for n in dir(module) if not n.startswith("_")))  # noqa: E731
    w.add("keras_names", {"kind": "names", "ops": public(keras.ops), "ops.nn": public(keras.ops.nn),
                          "ops.numpy": public(keras.ops.numpy), "ops.linalg": public(keras.ops.linalg),
                          "utils": public(keras.utils), "losses": public(keras.losses),
                          "metrics": public(keras.metrics)})
    return w.save(data_dir)
