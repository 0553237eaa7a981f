"""Goldens for nnkern.ops, nnkern.losses, nnkern.metrics and nnkern.utils from Keras 3 (JAX backend).

Every case calls one function (or loss / metric class) on a few small shared inputs (the "inputs"
case) and stores Keras's result with its dtype; see _op_cases.py for the case format. Inputs cover
float32, int32, int8, uint8, bool, float64 / int64 (narrowed to 32 bits, as Keras does) and Python
scalars (weak types). Reductions run over several axis / keepdims combinations; losses with their
default reduction, other reductions, sample weights and from_logits; metrics over two batches, the
second with sample weights. A dtype-promotion table comes from keras.backend.result_type.
"""
import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import seeded
from _op_cases import flatten_result, run_case


def grid(shape, seed, low, high, steps=64):
    """Seeded values on a 1/steps grid: exact in float32 and compressible."""
    return (np.round(seeded(shape, seed, low, high) * steps) / steps).astype(np.float32)


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


# ---- the case list -----------------------------------------------------------------------------------

UNARY_FLOAT = {  # op: input
    "abs": "x", "negative": "x", "sign": "x", "square": "x", "sqrt": "pos", "exp": "x",
    "log": "pos", "log1p": "pos", "log2": "pos", "log10": "pos", "expm1": "x", "floor": "x", "ceil": "x",
    "reciprocal": "pos", "sin": "x", "cos": "x", "tan": "unit", "arcsin": "unit", "arccos": "unit",
    "arctan": "x", "sinh": "x", "cosh": "x", "round": "v", "isnan": "special",
    "isinf": "special", "isfinite": "special", "erf": "x",
    "relu": "x", "relu6": "x", "sigmoid": "x", "tanh": "x", "softplus": "x", "softsign": "x", "silu": "x",
    "selu": "x", "hard_sigmoid": "x", "hard_silu": "x", "log_sigmoid": "x",
    "elu": "x", "leaky_relu": "x", "gelu": "x", "softmax": "x", "log_softmax": "x",
}
# (Keras rejects int inputs to sigmoid and erf, and bools to sign; nnkern computes them in floatx().)
UNARY_INT = ["abs", "negative", "sign", "square", "sqrt", "exp", "log1p", "floor", "round", "sin", "relu",
             "tanh", "softmax"]
BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power", "maximum",
          "minimum", "arctan2", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal"]
REDUCTIONS = ["sum", "prod", "mean", "max", "min", "std", "var", "any", "all", "logsumexp"]
REDUCTION_AXES = [({}, "all"), ({"axis": -1, "keepdims": True}, "am1_keep"),
                  ({"axis": [0, 2], "keepdims": True}, "a02_keep")]
# The result dtype of one-input ops for inputs of each dtype (values only in the cases above).
DTYPE_SWEEP_OPS = ["abs", "negative", "sign", "square", "sqrt", "exp", "log1p", "floor", "ceil", "round", "sin",
                   "tanh", "relu", "sigmoid", "softmax", "softplus", "sum", "mean", "max", "prod", "std", "argmax",
                   "cumsum", "cumprod", "reciprocal", "isnan", "logical_not", "any", "count_nonzero", "relu6", "elu",
                   "silu", "gelu", "leaky_relu", "log_softmax", "hard_sigmoid", "normalize", "logsumexp", "erf",
                   "sort", "norm"]
DTYPE_SWEEP_DTYPES = ["bool", "uint8", "uint16", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PROMOTION_DTYPES = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "float16",
                    "float32", "float64"]


def _fn_case(call, args, kwargs):
    case = {"call": call, "args": list(args)}
    if kwargs:
        case["kwargs"] = kwargs
    return case


def op_cases():
    """(id, case) pairs for nnkern.ops / keras.ops."""
    out = []

    def add(case_id, call, *args, **kwargs):
        out.append((case_id, _fn_case(call, args, kwargs)))

    for op, src in UNARY_FLOAT.items():
        add(f"{op}_f32", f"ops.{op}", f"@{src}")
    for op in UNARY_INT:
        add(f"{op}_i32", f"ops.{op}", "@i2" if op in ("sqrt", "log1p") else "@i")
    for op in ["abs", "square", "logical_not"]:
        add(f"{op}_bool", f"ops.{op}", "@b")
    for op in ["exp", "sum", "mean", "abs"]:
        add(f"{op}_f64_narrowed", f"ops.{op}", "@x64")
    for op in ["exp", "sum"]:
        add(f"{op}_f16", f"ops.{op}", "@f16")
    add("amax_a1", "ops.amax", "@x", axis=1)
    add("amin_a02_keep", "ops.amin", "@x", axis=[0, 2], keepdims=True)
    add("add_i64_narrowed", "ops.add", "@i64", "@i64")
    add("abs_u8", "ops.abs", "@u8")
    for alias in ["absolute", "conj", "swish", "hard_swish"]:  # aliases: a tiny input is enough
        add(f"{alias}_v", f"ops.{alias}", "@v")
    add("round_decimals", "ops.round", "@x", 1)
    add("elu_alpha", "ops.elu", "@x", 0.5)
    add("leaky_relu_slope", "ops.leaky_relu", "@x", negative_slope=0.05)
    add("gelu_exact", "ops.gelu", "@x", approximate=False)
    for axis, tag in [(0, "a0"), (1, "a1"), ([1, 2], "a12"), (None, "all")]:
        add(f"softmax_{tag}", "ops.softmax", "@x", axis=axis)
        add(f"log_softmax_{tag}", "ops.log_softmax", "@x", axis=axis)

    for op in BINARY:
        add(f"{op}_f32", f"ops.{op}", "@x", "@y")
        add(f"{op}_i32", f"ops.{op}", "@i", "@i2")
    for op in ["add", "multiply", "divide", "power", "maximum", "greater", "subtract"]:
        add(f"{op}_broadcast", f"ops.{op}", "@x", "@vec4")
    for op in ["add", "multiply", "divide", "floor_divide", "power", "maximum", "equal"]:
        add(f"{op}_i32_weak_int", f"ops.{op}", "@i", 2)
        add(f"{op}_i32_weak_float", f"ops.{op}", "@i", 1.5)
        add(f"{op}_f32_weak_int", f"ops.{op}", "@x", 3)
    for a, b in [("i8", "i8"), ("i8", "i"), ("u8", "i8"), ("u8", "i"), ("i", "x2"), ("b", "b2"), ("b", "i"),
                 ("f16", "x2"), ("i8", "f16"), ("x64", "i64")]:
        add(f"add_{a}_{b}", "ops.add", f"@{a}", f"@{b}")
    add("add_i8_weak", "ops.add", "@i8", 1)
    for op in ["floor_divide", "mod", "power"]:  # (JAX's integer division by zero is undefined: no False divisor)
        add(f"{op}_bool", f"ops.{op}", "@b", "@b_true")
    add("dot_i8", "ops.dot", "@i8sq", "@i8sq")
    add("tensordot_i8", "ops.tensordot", "@i8", "@i8", axes=[[1], [1]])
    add("matmul_i8", "ops.matmul", "@i8sq", "@i8sq")
    add("einsum_i8", "ops.einsum", "ij,kj->ik", "@i8", "@i8")
    add("multiply_u8_weak_float", "ops.multiply", "@u8", 0.5)
    add("mod_negative_f32", "ops.mod", "@x", -0.75)
    for op in ["logical_and", "logical_or", "logical_xor"]:
        add(f"{op}_bool", f"ops.{op}", "@b", "@b2")
        add(f"{op}_int", f"ops.{op}", "@i", "@i2")

    add("clip_f32", "ops.clip", "@x", -0.5, 0.75)
    add("clip_i32", "ops.clip", "@i", 0, 3)
    add("clip_i32_float_bounds", "ops.clip", "@i", 0.5, 2.5)
    add("clip_bool", "ops.clip", "@b", 0, 1)
    add("where_f32_i32", "ops.where", "@b", "@x2", "@i")
    add("where_weak", "ops.where", "@b", 1, 0)
    add("where_i32_weak_float", "ops.where", "@b", "@i", 0.5)
    add("where_condition_only", "ops.where", "@b")

    for op in REDUCTIONS:
        for kwargs, tag in REDUCTION_AXES:
            add(f"{op}_{tag}", f"ops.{op}", "@x", **kwargs)
    for op in ["sum", "prod", "mean", "max", "min", "std", "var", "any", "all", "argmax", "argmin",
               "count_nonzero", "cumsum", "cumprod"]:
        add(f"{op}_i32", f"ops.{op}", "@i", axis=1)
    for op in ["sum", "prod", "cumsum", "max"]:
        for src in ["i8", "u8", "b"]:
            add(f"{op}_{src}", f"ops.{op}", f"@{src}")
    for op in ["argmax", "argmin"]:
        add(f"{op}_all", f"ops.{op}", "@x")
        add(f"{op}_a1", f"ops.{op}", "@x", axis=1)
        add(f"{op}_am1_keep", f"ops.{op}", "@x", axis=-1, keepdims=True)
        add(f"{op}_ties", f"ops.{op}", "@ties", axis=-1)
    add("count_nonzero_all", "ops.count_nonzero", "@i")
    add("count_nonzero_a02", "ops.count_nonzero", "@x", axis=[0, 2])
    for op in ["cumsum", "cumprod"]:
        add(f"{op}_all", f"ops.{op}", "@x")
        add(f"{op}_a1", f"ops.{op}", "@x", axis=1)
    add("cumsum_dtype", "ops.cumsum", "@i", axis=1, dtype="float32")
    add("prod_dtype", "ops.prod", "@i", dtype="float32")
    add("max_initial", "ops.max", "@x", axis=1, initial=1.0)
    add("norm_all", "ops.norm", "@x")
    add("norm_vector_l1", "ops.norm", "@x", ord=1, axis=-1)
    add("norm_vector_inf", "ops.norm", "@x", ord=float("inf"), axis=-1, keepdims=True)
    add("norm_fro", "ops.norm", "@m1", ord="fro", axis=[0, 1])
    add("norm_i32", "ops.norm", "@i")
    add("linalg_norm", "ops.linalg.norm", "@m1", axis=0)

    add("matmul_2d", "ops.matmul", "@m1", "@m2")
    add("matmul_batched", "ops.matmul", "@bm1", "@bm2")
    add("matmul_broadcast", "ops.matmul", "@bm1", "@m2")
    add("matmul_vec_mat", "ops.matmul", "@vec4", "@m2")
    add("matmul_mat_vec", "ops.matmul", "@m1", "@vec4")
    add("matmul_i32", "ops.matmul", "@im", "@im")
    add("matmul_i32_f32", "ops.matmul", "@i", "@m1")
    add("dot_2d", "ops.dot", "@m1", "@m2")
    add("dot_nd", "ops.dot", "@x", "@m2")
    add("dot_vec", "ops.dot", "@vec4", "@vec4")
    add("tensordot_1", "ops.tensordot", "@x", "@m2", axes=1)
    add("tensordot_pairs", "ops.tensordot", "@m1", "@x", axes=[[0, 1], [1, 2]])
    add("outer", "ops.outer", "@vec4", "@v")
    add("einsum_matmul", "ops.einsum", "ij,jk->ik", "@m1", "@m2")
    add("einsum_batch_trace", "ops.einsum", "bij,bjk->b", "@bm1", "@bm2")

    add("transpose_default", "ops.transpose", "@x")
    add("transpose_axes", "ops.transpose", "@x", [2, 0, 1])
    add("reshape", "ops.reshape", "@x", [4, 6])
    add("reshape_minus1", "ops.reshape", "@x", [-1, 4])
    add("reshape_i32", "ops.reshape", "@i", [3, 2])
    add("ravel", "ops.ravel", "@x")
    add("expand_dims_0", "ops.expand_dims", "@x", 0)
    add("expand_dims_m1", "ops.expand_dims", "@i", -1)
    add("expand_dims_tuple", "ops.expand_dims", "@x2", [0, 2])
    add("squeeze_all", "ops.squeeze", "@sq")
    add("squeeze_0", "ops.squeeze", "@sq", 0)
    add("squeeze_m1", "ops.squeeze", "@sq", axis=-1)
    add("concatenate_0", "ops.concatenate", ["@x", "@y"])
    add("concatenate_m1", "ops.concatenate", ["@x", "@y", "@x"], axis=-1)
    add("concatenate_int_float", "ops.concatenate", ["@i", "@x2"], axis=1)
    add("concatenate_i8_i32", "ops.concatenate", ["@i8", "@i"])
    add("stack_0", "ops.stack", ["@x", "@y"])
    add("stack_m1", "ops.stack", ["@i", "@i2"], axis=-1)
    add("stack_int_float", "ops.stack", ["@i", "@x2"], axis=1)
    add("split_sections", "ops.split", "@x", 2)
    add("split_indices", "ops.split", "@m1", [1, 3], axis=1)
    add("unstack_1", "ops.unstack", "@x", axis=1)
    add("tile", "ops.tile", "@i", [2, 1])
    add("repeat_axis", "ops.repeat", "@i", 2, axis=1)
    add("repeat_flat", "ops.repeat", "@i", 2)
    add("flip_1", "ops.flip", "@x", 1)
    add("flip_all", "ops.flip", "@x")
    add("roll_axis", "ops.roll", "@x", 2, axis=2)
    add("roll_flat", "ops.roll", "@x", 5)
    add("moveaxis", "ops.moveaxis", "@x", 0, -1)
    add("swapaxes", "ops.swapaxes", "@x", 0, 2)
    add("broadcast_to", "ops.broadcast_to", "@vec4", [3, 4])
    add("pad_constant", "ops.pad", "@m1", [[1, 0], [0, 2]])
    add("pad_value", "ops.pad", "@i", 1, constant_values=9)
    add("pad_reflect", "ops.pad", "@m1", 1, mode="reflect")
    add("pad_symmetric", "ops.pad", "@m1", [[0, 1], [2, 0]], mode="symmetric")
    add("sort_m1", "ops.sort", "@x")
    add("sort_0", "ops.sort", "@x", axis=0)
    add("argsort", "ops.argsort", "@v")
    add("argsort_ties", "ops.argsort", "@ties", axis=-1)
    add("take_axis", "ops.take", "@x", "@idx", axis=1)
    add("take_flat", "ops.take", "@x", "@idx2")
    add("take_negative", "ops.take", "@m1", "@idx_neg", axis=0)
    add("take_along_axis", "ops.take_along_axis", "@m1", "@idx_along", axis=1)
    add("tril", "ops.tril", "@m1")
    add("triu_k", "ops.triu", "@m1", 1)
    add("tril_neg_k", "ops.tril", "@m1", k=-1)
    add("one_hot", "ops.one_hot", "@labels", 3)
    add("one_hot_axis0", "ops.one_hot", "@labels", 3, axis=0)
    add("one_hot_2d", "ops.one_hot", "@labels2d", 4)
    add("one_hot_out_of_range", "ops.one_hot", "@labels_oob", 3)
    add("one_hot_dtype", "ops.one_hot", "@labels", 3, dtype="int32")
    add("nn_one_hot", "ops.nn.one_hot", "@labels", 4)
    add("top_k", "ops.top_k", "@v", 3)
    add("top_k_ties", "ops.top_k", "@ties", 2)
    add("in_top_k_1", "ops.in_top_k", "@labels", "@logits", 1)
    add("in_top_k_2", "ops.in_top_k", "@labels", "@logits", 2)
    add("normalize", "ops.normalize", "@x")
    add("normalize_l1_axis0", "ops.normalize", "@x", axis=0, order=1)
    add("bce_op", "ops.binary_crossentropy", "@bin_true", "@probs")
    add("bce_op_logits", "ops.binary_crossentropy", "@bin_true", "@logits", from_logits=True)
    add("cce_op", "ops.categorical_crossentropy", "@onehot", "@probs")
    add("cce_op_logits", "ops.categorical_crossentropy", "@onehot", "@logits", from_logits=True)
    add("scce_op", "ops.sparse_categorical_crossentropy", "@labels", "@probs")
    add("scce_op_logits", "ops.sparse_categorical_crossentropy", "@labels", "@logits", from_logits=True)
    add("nn_softmax", "ops.nn.softmax", "@x2")
    add("nn_relu", "ops.nn.relu", "@x2")
    add("numpy_sum", "ops.numpy.sum", "@x2", axis=0)
    add("numpy_tanh", "ops.numpy.tanh", "@x2")

    add("sum_empty", "ops.sum", "@empty", axis=0)
    add("mean_empty_rows", "ops.mean", "@empty", axis=1)
    add("softmax_empty", "ops.softmax", "@empty")
    add("matmul_empty", "ops.matmul", "@empty", "@m1")
    add("concatenate_empty", "ops.concatenate", ["@empty", "@x2"])
    add("one_hot_empty", "ops.one_hot", "@empty_labels", 3)
    add("add_f64_weak_float", "ops.add", "@x64", 0.5)
    add("multiply_f16_weak_float", "ops.multiply", "@f16", 0.5)
    add("add_f16_i32", "ops.add", "@f16", "@i")
    add("mean_f16_axis", "ops.mean", "@f16", axis=1)
    add("softmax_f16", "ops.softmax", "@f16")
    add("relu_f16", "ops.relu", "@f16")
    add("sigmoid_f64", "ops.sigmoid", "@x64")
    add("bce_op_edges", "ops.binary_crossentropy", "@bin_true", "@probs_edge")
    add("cce_op_edges", "ops.categorical_crossentropy", "@onehot", "@probs_edge")
    add("conv_2d", "ops.conv", "@img", "@k2")
    add("conv_2d_same_strides", "ops.conv", "@img", "@k2", strides=2, padding="same")
    add("conv_2d_dilated", "ops.conv", "@img", "@k2", dilation_rate=2)
    add("conv_2d_groups", "ops.conv", "@img", "@k2_groups", padding="SAME")
    add("conv_2d_channels_first", "ops.conv", "@img_cf", "@k2", data_format="channels_first")
    add("conv_1d_same", "ops.conv", "@seq", "@k1", padding="same")
    add("conv_1d_strides", "ops.conv", "@seq", "@k1", strides=2)
    add("depthwise_conv_2d", "ops.depthwise_conv", "@img", "@k2_depthwise", padding="same")
    add("depthwise_conv_1d", "ops.depthwise_conv", "@seq", "@k1_depthwise", strides=2)
    add("conv_transpose_2d", "ops.conv_transpose", "@img", "@k2_transpose", strides=2)
    add("conv_transpose_2d_same_padding", "ops.conv_transpose", "@img", "@k2_transpose", strides=2, padding="same",
        output_padding=1)
    add("conv_transpose_1d", "ops.conv_transpose", "@seq", "@k1_transpose", strides=2)
    # (Keras 3.15 on JAX fails on strides=None, which means pool_size: explicit strides here.)
    add("max_pool_2d", "ops.max_pool", "@img", 2, strides=2)
    add("max_pool_2d_same", "ops.max_pool", "@img", 3, strides=2, padding="same")
    add("max_pool_channels_first", "ops.max_pool", "@img_cf", [2, 1], strides=[2, 1], data_format="channels_first")
    add("max_pool_1d", "ops.max_pool", "@seq", 2, strides=2)
    add("average_pool_2d_same", "ops.average_pool", "@img", 2, strides=2, padding="same")
    add("average_pool_1d_same", "ops.average_pool", "@seq", 3, strides=2, padding="same")
    add("zeros", "ops.zeros", [2, 3])
    add("ones_int", "ops.ones", [2], dtype="int32")
    add("full_int_fill", "ops.full", [2, 2], 7)
    add("full_like_i32", "ops.full_like", "@i", 2.5)
    add("zeros_like", "ops.zeros_like", "@x2")
    add("ones_like_dtype", "ops.ones_like", "@i", dtype="float32")
    add("eye", "ops.eye", 3)
    add("eye_rect_k", "ops.eye", 3, 4, 1)
    add("identity", "ops.identity", 3)
    add("arange_int", "ops.arange", 5)
    add("arange_float", "ops.arange", 0, 1, 0.25)
    add("arange_step", "ops.arange", 1, 10, 3)
    add("linspace", "ops.linspace", 0, 1, 5)
    add("linspace_no_endpoint", "ops.linspace", 0, 10, 4, endpoint=False)
    add("cast_f32_i32", "ops.cast", "@x", "int32")
    add("cast_i32_f32", "ops.cast", "@i", "float32")
    add("cast_f32_bool", "ops.cast", "@x2", "bool")
    add("convert_to_tensor_i64", "ops.convert_to_tensor", "@i64")
    add("convert_to_tensor_dtype", "ops.convert_to_tensor", "@i", "float32")
    add("convert_to_tensor_float", "ops.convert_to_tensor", 1.5)
    add("convert_to_tensor_int", "ops.convert_to_tensor", 3)
    add("convert_to_tensor_list", "ops.convert_to_tensor", [1, 2, 3])
    add("convert_to_numpy", "ops.convert_to_numpy", "@x2")
    add("shape", "ops.shape", "@x")
    add("ndim", "ops.ndim", "@x")
    add("size", "ops.size", "@x")
    add("slice", "ops.slice", "@x", [0, 1, 1], [2, 2, 2])
    add("slice_update", "ops.slice_update", "@x", [0, 1, 1], "@upd")
    add("stop_gradient", "ops.stop_gradient", "@x2")
    add("to_categorical", "utils.to_categorical", "@labels")
    add("to_categorical_num", "utils.to_categorical", "@labels_col", 4)
    add("utils_normalize", "utils.normalize", "@x")
    add("utils_normalize_l1", "utils.normalize", "@x", axis=1, order=1)
    return out


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


def loss_cases():
    out = []

    def fn(case_id, call, *args, **kwargs):
        out.append((case_id, _fn_case(call, args, kwargs)))

    for name in REGRESSION_LOSSES:
        fn(f"loss_fn_{name}", f"losses.{name}", "@reg_true", "@reg_pred")
    fn("loss_fn_msle_pos", "losses.mean_squared_logarithmic_error", "@reg_pos_true", "@reg_pos_pred")
    fn("loss_fn_huber_delta", "losses.huber", "@reg_true", "@reg_pred", delta=0.5)
    fn("loss_fn_hinge_pm", "losses.hinge", "@pm_true", "@logits")
    fn("loss_fn_hinge_01", "losses.hinge", "@bin_true", "@logits")
    fn("loss_fn_squared_hinge", "losses.squared_hinge", "@bin_true", "@logits")
    fn("loss_fn_categorical_hinge", "losses.categorical_hinge", "@onehot", "@logits")
    fn("loss_fn_kl_divergence", "losses.kl_divergence", "@dist", "@probs")
    fn("loss_fn_poisson", "losses.poisson", "@reg_pos_true", "@reg_pos_pred")
    fn("loss_fn_bce", "losses.binary_crossentropy", "@bin_true", "@probs")
    fn("loss_fn_bce_logits", "losses.binary_crossentropy", "@bin_true", "@logits", from_logits=True)
    fn("loss_fn_bce_smoothing", "losses.binary_crossentropy", "@bin_true", "@probs", label_smoothing=0.2)
    fn("loss_fn_bce_column", "losses.binary_crossentropy", "@bin_col_true", "@bin_col_pred")
    fn("loss_fn_bce_notebook", "losses.binary_crossentropy", "@nb_true", "@nb_pred")
    fn("loss_fn_cce", "losses.categorical_crossentropy", "@onehot", "@probs")
    fn("loss_fn_cce_logits", "losses.categorical_crossentropy", "@onehot", "@logits", from_logits=True)
    fn("loss_fn_cce_smoothing", "losses.categorical_crossentropy", "@onehot", "@probs", label_smoothing=0.1)
    fn("loss_fn_cce_axis0", "losses.categorical_crossentropy", "@onehot", "@probs", axis=0)
    fn("loss_fn_scce", "losses.sparse_categorical_crossentropy", "@labels", "@probs")
    fn("loss_fn_scce_column", "losses.sparse_categorical_crossentropy", "@labels_col", "@probs")
    fn("loss_fn_scce_logits", "losses.sparse_categorical_crossentropy", "@labels", "@logits", from_logits=True)
    fn("loss_fn_scce_ignore", "losses.sparse_categorical_crossentropy", "@labels", "@probs", ignore_class=0)
    fn("loss_fn_scce_notebook", "losses.sparse_categorical_crossentropy", "@nb_sparse_true", "@nb_sparse_pred")
    fn("loss_fn_int_inputs", "losses.mean_squared_error", "@i", "@i2")
    fn("loss_fn_bce_edges", "losses.binary_crossentropy", "@bin_true", "@probs_edge")
    fn("loss_fn_cce_edges", "losses.categorical_crossentropy", "@onehot", "@probs_edge")
    fn("loss_fn_kld_edges", "losses.kl_divergence", "@bin_true", "@probs_edge")
    fn("loss_fn_poisson_edges", "losses.poisson", "@bin_true", "@probs_edge")
    fn("loss_fn_mse_seq", "losses.mean_squared_error", "@seq_true", "@seq_pred")
    fn("loss_fn_cce_seq", "losses.categorical_crossentropy", "@seq_probs", "@seq_probs")
    fn("loss_fn_scce_seq", "losses.sparse_categorical_crossentropy", "@seq_labels", "@seq_probs")
    fn("loss_fn_mse_empty", "losses.mean_squared_error", "@empty", "@empty")

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
        out.append((f"metric_fn_{name}", _fn_case(f"metrics.{name.replace('_column', '')}", [f"@{t}", f"@{p}"],
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
