"""The keras.ops / keras.utils golden cases, one table per family of ops (the shared inputs they name with
"@" are made in gen_ops.py; see _op_cases.py for the case format). The order of the tables and of the rows
is the order of the cases in ops.json.gz."""
from _op_cases import case

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


# one-input elementwise ops over each input dtype (with a few dtype-narrowing cases)
UNARY_CASES = [
    *(case(f"{op}_f32", f"ops.{op}", f"@{src}") for op, src in UNARY_FLOAT.items()),
    *(case(f"{op}_i32", f"ops.{op}", "@i2" if op in ("sqrt", "log1p") else "@i") for op in UNARY_INT),
    *(case(f"{op}_bool", f"ops.{op}", "@b") for op in ["abs", "square", "logical_not"]),
    *(case(f"{op}_f64_narrowed", f"ops.{op}", "@x64") for op in ["exp", "sum", "mean", "abs"]),
    *(case(f"{op}_f16", f"ops.{op}", "@f16") for op in ["exp", "sum"]),
    case("amax_a1", "ops.amax", "@x", axis=1),
    case("amin_a02_keep", "ops.amin", "@x", axis=[0, 2], keepdims=True),
    case("add_i64_narrowed", "ops.add", "@i64", "@i64"),
    case("abs_u8", "ops.abs", "@u8"),
    # aliases: a tiny input is enough
    *(case(f"{alias}_v", f"ops.{alias}", "@v") for alias in ["absolute", "conj", "swish", "hard_swish"]),
    case("round_decimals", "ops.round", "@x", 1),
    case("elu_alpha", "ops.elu", "@x", 0.5),
    case("leaky_relu_slope", "ops.leaky_relu", "@x", negative_slope=0.05),
    case("gelu_exact", "ops.gelu", "@x", approximate=False),
    *(c for axis, tag in [(0, "a0"), (1, "a1"), ([1, 2], "a12"), (None, "all")]
      for c in (case(f"softmax_{tag}", "ops.softmax", "@x", axis=axis),
                case(f"log_softmax_{tag}", "ops.log_softmax", "@x", axis=axis))),
]

# two-input elementwise ops: dtypes, broadcasting, weak Python scalars, int8 products
BINARY_CASES = [
    *(c for op in BINARY for c in (case(f"{op}_f32", f"ops.{op}", "@x", "@y"),
                                   case(f"{op}_i32", f"ops.{op}", "@i", "@i2"))),
    *(case(f"{op}_broadcast", f"ops.{op}", "@x", "@vec4")
      for op in ["add", "multiply", "divide", "power", "maximum", "greater", "subtract"]),
    *(c for op in ["add", "multiply", "divide", "floor_divide", "power", "maximum", "equal"]
      for c in (case(f"{op}_i32_weak_int", f"ops.{op}", "@i", 2),
                case(f"{op}_i32_weak_float", f"ops.{op}", "@i", 1.5),
                case(f"{op}_f32_weak_int", f"ops.{op}", "@x", 3))),
    *(case(f"add_{a}_{b}", "ops.add", f"@{a}", f"@{b}")
      for a, b in [("i8", "i8"), ("i8", "i"), ("u8", "i8"), ("u8", "i"), ("i", "x2"), ("b", "b2"), ("b", "i"),
                   ("f16", "x2"), ("i8", "f16"), ("x64", "i64")]),
    case("add_i8_weak", "ops.add", "@i8", 1),
    # (JAX's integer division by zero is undefined: no False divisor)
    *(case(f"{op}_bool", f"ops.{op}", "@b", "@b_true") for op in ["floor_divide", "mod", "power"]),
    case("dot_i8", "ops.dot", "@i8sq", "@i8sq"),
    case("tensordot_i8", "ops.tensordot", "@i8", "@i8", axes=[[1], [1]]),
    case("matmul_i8", "ops.matmul", "@i8sq", "@i8sq"),
    case("einsum_i8", "ops.einsum", "ij,kj->ik", "@i8", "@i8"),
    case("multiply_u8_weak_float", "ops.multiply", "@u8", 0.5),
    case("mod_negative_f32", "ops.mod", "@x", -0.75),
    *(c for op in ["logical_and", "logical_or", "logical_xor"]
      for c in (case(f"{op}_bool", f"ops.{op}", "@b", "@b2"), case(f"{op}_int", f"ops.{op}", "@i", "@i2"))),
]

# clip and where
SELECTION_CASES = [
    case("clip_f32", "ops.clip", "@x", -0.5, 0.75),
    case("clip_i32", "ops.clip", "@i", 0, 3),
    case("clip_i32_float_bounds", "ops.clip", "@i", 0.5, 2.5),
    case("clip_bool", "ops.clip", "@b", 0, 1),
    case("where_f32_i32", "ops.where", "@b", "@x2", "@i"),
    case("where_weak", "ops.where", "@b", 1, 0),
    case("where_i32_weak_float", "ops.where", "@b", "@i", 0.5),
    case("where_condition_only", "ops.where", "@b"),
]

# reductions, arg-reductions, cumulative ops and norms
REDUCTION_CASES = [
    *(case(f"{op}_{tag}", f"ops.{op}", "@x", **kwargs) for op in REDUCTIONS for kwargs, tag in REDUCTION_AXES),
    *(case(f"{op}_i32", f"ops.{op}", "@i", axis=1)
      for op in ["sum", "prod", "mean", "max", "min", "std", "var", "any", "all", "argmax", "argmin",
                 "count_nonzero", "cumsum", "cumprod"]),
    *(case(f"{op}_{src}", f"ops.{op}", f"@{src}") for op in ["sum", "prod", "cumsum", "max"]
      for src in ["i8", "u8", "b"]),
    *(c for op in ["argmax", "argmin"]
      for c in (case(f"{op}_all", f"ops.{op}", "@x"),
                case(f"{op}_a1", f"ops.{op}", "@x", axis=1),
                case(f"{op}_am1_keep", f"ops.{op}", "@x", axis=-1, keepdims=True),
                case(f"{op}_ties", f"ops.{op}", "@ties", axis=-1))),
    case("count_nonzero_all", "ops.count_nonzero", "@i"),
    case("count_nonzero_a02", "ops.count_nonzero", "@x", axis=[0, 2]),
    *(c for op in ["cumsum", "cumprod"]
      for c in (case(f"{op}_all", f"ops.{op}", "@x"), case(f"{op}_a1", f"ops.{op}", "@x", axis=1))),
    case("cumsum_dtype", "ops.cumsum", "@i", axis=1, dtype="float32"),
    case("prod_dtype", "ops.prod", "@i", dtype="float32"),
    case("max_initial", "ops.max", "@x", axis=1, initial=1.0),
    case("norm_all", "ops.norm", "@x"),
    case("norm_vector_l1", "ops.norm", "@x", ord=1, axis=-1),
    case("norm_vector_inf", "ops.norm", "@x", ord=float("inf"), axis=-1, keepdims=True),
    case("norm_fro", "ops.norm", "@m1", ord="fro", axis=[0, 1]),
    case("norm_i32", "ops.norm", "@i"),
    case("linalg_norm", "ops.linalg.norm", "@m1", axis=0),
]

# matmul, dot, tensordot, outer, einsum
LINALG_CASES = [
    case("matmul_2d", "ops.matmul", "@m1", "@m2"),
    case("matmul_batched", "ops.matmul", "@bm1", "@bm2"),
    case("matmul_broadcast", "ops.matmul", "@bm1", "@m2"),
    case("matmul_vec_mat", "ops.matmul", "@vec4", "@m2"),
    case("matmul_mat_vec", "ops.matmul", "@m1", "@vec4"),
    case("matmul_i32", "ops.matmul", "@im", "@im"),
    case("matmul_i32_f32", "ops.matmul", "@i", "@m1"),
    case("dot_2d", "ops.dot", "@m1", "@m2"),
    case("dot_nd", "ops.dot", "@x", "@m2"),
    case("dot_vec", "ops.dot", "@vec4", "@vec4"),
    case("tensordot_1", "ops.tensordot", "@x", "@m2", axes=1),
    case("tensordot_pairs", "ops.tensordot", "@m1", "@x", axes=[[0, 1], [1, 2]]),
    case("outer", "ops.outer", "@vec4", "@v"),
    case("einsum_matmul", "ops.einsum", "ij,jk->ik", "@m1", "@m2"),
    case("einsum_batch_trace", "ops.einsum", "bij,bjk->b", "@bm1", "@bm2"),
]

# reshaping, joining, splitting, tiling, flipping and padding
SHAPE_CASES = [
    case("transpose_default", "ops.transpose", "@x"),
    case("transpose_axes", "ops.transpose", "@x", [2, 0, 1]),
    case("reshape", "ops.reshape", "@x", [4, 6]),
    case("reshape_minus1", "ops.reshape", "@x", [-1, 4]),
    case("reshape_i32", "ops.reshape", "@i", [3, 2]),
    case("ravel", "ops.ravel", "@x"),
    case("expand_dims_0", "ops.expand_dims", "@x", 0),
    case("expand_dims_m1", "ops.expand_dims", "@i", -1),
    case("expand_dims_tuple", "ops.expand_dims", "@x2", [0, 2]),
    case("squeeze_all", "ops.squeeze", "@sq"),
    case("squeeze_0", "ops.squeeze", "@sq", 0),
    case("squeeze_m1", "ops.squeeze", "@sq", axis=-1),
    case("concatenate_0", "ops.concatenate", ["@x", "@y"]),
    case("concatenate_m1", "ops.concatenate", ["@x", "@y", "@x"], axis=-1),
    case("concatenate_int_float", "ops.concatenate", ["@i", "@x2"], axis=1),
    case("concatenate_i8_i32", "ops.concatenate", ["@i8", "@i"]),
    case("stack_0", "ops.stack", ["@x", "@y"]),
    case("stack_m1", "ops.stack", ["@i", "@i2"], axis=-1),
    case("stack_int_float", "ops.stack", ["@i", "@x2"], axis=1),
    case("split_sections", "ops.split", "@x", 2),
    case("split_indices", "ops.split", "@m1", [1, 3], axis=1),
    case("unstack_1", "ops.unstack", "@x", axis=1),
    case("tile", "ops.tile", "@i", [2, 1]),
    case("repeat_axis", "ops.repeat", "@i", 2, axis=1),
    case("repeat_flat", "ops.repeat", "@i", 2),
    case("flip_1", "ops.flip", "@x", 1),
    case("flip_all", "ops.flip", "@x"),
    case("roll_axis", "ops.roll", "@x", 2, axis=2),
    case("roll_flat", "ops.roll", "@x", 5),
    case("moveaxis", "ops.moveaxis", "@x", 0, -1),
    case("swapaxes", "ops.swapaxes", "@x", 0, 2),
    case("broadcast_to", "ops.broadcast_to", "@vec4", [3, 4]),
    case("pad_constant", "ops.pad", "@m1", [[1, 0], [0, 2]]),
    case("pad_value", "ops.pad", "@i", 1, constant_values=9),
    case("pad_reflect", "ops.pad", "@m1", 1, mode="reflect"),
    case("pad_symmetric", "ops.pad", "@m1", [[0, 1], [2, 0]], mode="symmetric"),
]

# sorting, gathering and triangles
SORT_INDEX_CASES = [
    case("sort_m1", "ops.sort", "@x"),
    case("sort_0", "ops.sort", "@x", axis=0),
    case("argsort", "ops.argsort", "@v"),
    case("argsort_ties", "ops.argsort", "@ties", axis=-1),
    case("take_axis", "ops.take", "@x", "@idx", axis=1),
    case("take_flat", "ops.take", "@x", "@idx2"),
    case("take_negative", "ops.take", "@m1", "@idx_neg", axis=0),
    case("take_along_axis", "ops.take_along_axis", "@m1", "@idx_along", axis=1),
    case("tril", "ops.tril", "@m1"),
    case("triu_k", "ops.triu", "@m1", 1),
    case("tril_neg_k", "ops.tril", "@m1", k=-1),
]

# one_hot, top_k, normalize, cross-entropies and the nn / numpy namespaces
NN_CASES = [
    case("one_hot", "ops.one_hot", "@labels", 3),
    case("one_hot_axis0", "ops.one_hot", "@labels", 3, axis=0),
    case("one_hot_2d", "ops.one_hot", "@labels2d", 4),
    case("one_hot_out_of_range", "ops.one_hot", "@labels_oob", 3),
    case("one_hot_dtype", "ops.one_hot", "@labels", 3, dtype="int32"),
    case("nn_one_hot", "ops.nn.one_hot", "@labels", 4),
    case("top_k", "ops.top_k", "@v", 3),
    case("top_k_ties", "ops.top_k", "@ties", 2),
    case("in_top_k_1", "ops.in_top_k", "@labels", "@logits", 1),
    case("in_top_k_2", "ops.in_top_k", "@labels", "@logits", 2),
    case("normalize", "ops.normalize", "@x"),
    case("normalize_l1_axis0", "ops.normalize", "@x", axis=0, order=1),
    case("bce_op", "ops.binary_crossentropy", "@bin_true", "@probs"),
    case("bce_op_logits", "ops.binary_crossentropy", "@bin_true", "@logits", from_logits=True),
    case("cce_op", "ops.categorical_crossentropy", "@onehot", "@probs"),
    case("cce_op_logits", "ops.categorical_crossentropy", "@onehot", "@logits", from_logits=True),
    case("scce_op", "ops.sparse_categorical_crossentropy", "@labels", "@probs"),
    case("scce_op_logits", "ops.sparse_categorical_crossentropy", "@labels", "@logits", from_logits=True),
    case("nn_softmax", "ops.nn.softmax", "@x2"),
    case("nn_relu", "ops.nn.relu", "@x2"),
    case("numpy_sum", "ops.numpy.sum", "@x2", axis=0),
    case("numpy_tanh", "ops.numpy.tanh", "@x2"),
]

# empty inputs, float16 and float64 inputs
EDGE_CASES = [
    case("sum_empty", "ops.sum", "@empty", axis=0),
    case("mean_empty_rows", "ops.mean", "@empty", axis=1),
    case("softmax_empty", "ops.softmax", "@empty"),
    case("matmul_empty", "ops.matmul", "@empty", "@m1"),
    case("concatenate_empty", "ops.concatenate", ["@empty", "@x2"]),
    case("one_hot_empty", "ops.one_hot", "@empty_labels", 3),
    case("add_f64_weak_float", "ops.add", "@x64", 0.5),
    case("multiply_f16_weak_float", "ops.multiply", "@f16", 0.5),
    case("add_f16_i32", "ops.add", "@f16", "@i"),
    case("mean_f16_axis", "ops.mean", "@f16", axis=1),
    case("softmax_f16", "ops.softmax", "@f16"),
    case("relu_f16", "ops.relu", "@f16"),
    case("sigmoid_f64", "ops.sigmoid", "@x64"),
    case("bce_op_edges", "ops.binary_crossentropy", "@bin_true", "@probs_edge"),
    case("cce_op_edges", "ops.categorical_crossentropy", "@onehot", "@probs_edge"),
]

# convolution and pooling ops, kernels as Keras's layers store them
CONV_POOL_CASES = [
    case("conv_2d", "ops.conv", "@img", "@k2"),
    case("conv_2d_same_strides", "ops.conv", "@img", "@k2", strides=2, padding="same"),
    case("conv_2d_dilated", "ops.conv", "@img", "@k2", dilation_rate=2),
    case("conv_2d_groups", "ops.conv", "@img", "@k2_groups", padding="SAME"),
    case("conv_2d_channels_first", "ops.conv", "@img_cf", "@k2", data_format="channels_first"),
    case("conv_1d_same", "ops.conv", "@seq", "@k1", padding="same"),
    case("conv_1d_strides", "ops.conv", "@seq", "@k1", strides=2),
    case("depthwise_conv_2d", "ops.depthwise_conv", "@img", "@k2_depthwise", padding="same"),
    case("depthwise_conv_1d", "ops.depthwise_conv", "@seq", "@k1_depthwise", strides=2),
    case("conv_transpose_2d", "ops.conv_transpose", "@img", "@k2_transpose", strides=2),
    case("conv_transpose_2d_same_padding", "ops.conv_transpose", "@img", "@k2_transpose", strides=2, padding="same",
        output_padding=1),
    case("conv_transpose_1d", "ops.conv_transpose", "@seq", "@k1_transpose", strides=2),
    # (Keras 3.15 on JAX fails on strides=None, which means pool_size: explicit strides here.)
    case("max_pool_2d", "ops.max_pool", "@img", 2, strides=2),
    case("max_pool_2d_same", "ops.max_pool", "@img", 3, strides=2, padding="same"),
    case("max_pool_channels_first", "ops.max_pool", "@img_cf", [2, 1], strides=[2, 1], data_format="channels_first"),
    case("max_pool_1d", "ops.max_pool", "@seq", 2, strides=2),
    case("average_pool_2d_same", "ops.average_pool", "@img", 2, strides=2, padding="same"),
    case("average_pool_1d_same", "ops.average_pool", "@seq", 3, strides=2, padding="same"),
]

# array creation
CREATION_CASES = [
    case("zeros", "ops.zeros", [2, 3]),
    case("ones_int", "ops.ones", [2], dtype="int32"),
    case("full_int_fill", "ops.full", [2, 2], 7),
    case("full_like_i32", "ops.full_like", "@i", 2.5),
    case("zeros_like", "ops.zeros_like", "@x2"),
    case("ones_like_dtype", "ops.ones_like", "@i", dtype="float32"),
    case("eye", "ops.eye", 3),
    case("eye_rect_k", "ops.eye", 3, 4, 1),
    case("identity", "ops.identity", 3),
    case("arange_int", "ops.arange", 5),
    case("arange_float", "ops.arange", 0, 1, 0.25),
    case("arange_step", "ops.arange", 1, 10, 3),
    case("linspace", "ops.linspace", 0, 1, 5),
    case("linspace_no_endpoint", "ops.linspace", 0, 10, 4, endpoint=False),
]

# casts, conversions, shape queries, slicing and keras.utils
CONVERSION_CASES = [
    case("cast_f32_i32", "ops.cast", "@x", "int32"),
    case("cast_i32_f32", "ops.cast", "@i", "float32"),
    case("cast_f32_bool", "ops.cast", "@x2", "bool"),
    case("convert_to_tensor_i64", "ops.convert_to_tensor", "@i64"),
    case("convert_to_tensor_dtype", "ops.convert_to_tensor", "@i", "float32"),
    case("convert_to_tensor_float", "ops.convert_to_tensor", 1.5),
    case("convert_to_tensor_int", "ops.convert_to_tensor", 3),
    case("convert_to_tensor_list", "ops.convert_to_tensor", [1, 2, 3]),
    case("convert_to_numpy", "ops.convert_to_numpy", "@x2"),
    case("shape", "ops.shape", "@x"),
    case("ndim", "ops.ndim", "@x"),
    case("size", "ops.size", "@x"),
    case("slice", "ops.slice", "@x", [0, 1, 1], [2, 2, 2]),
    case("slice_update", "ops.slice_update", "@x", [0, 1, 1], "@upd"),
    case("stop_gradient", "ops.stop_gradient", "@x2"),
    case("to_categorical", "utils.to_categorical", "@labels"),
    case("to_categorical_num", "utils.to_categorical", "@labels_col", 4),
    case("utils_normalize", "utils.normalize", "@x"),
    case("utils_normalize_l1", "utils.normalize", "@x", axis=1, order=1),
]


OP_TABLES = (UNARY_CASES, BINARY_CASES, SELECTION_CASES, REDUCTION_CASES, LINALG_CASES, SHAPE_CASES,
             SORT_INDEX_CASES, NN_CASES, EDGE_CASES, CONV_POOL_CASES, CREATION_CASES, CONVERSION_CASES)


def op_cases():
    """(id, case) pairs for nnkern.ops / keras.ops and keras.utils, every table in order."""
    return [row for table in OP_TABLES for row in table]
