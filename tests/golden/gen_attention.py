"""Goldens for the attention layers: EinsumDense (equations, output shapes, bias axes, activations),
MultiHeadAttention (heads, key/value dims, output_shape, attention_axes, use_bias, use_gate,
sliding_window, dropout at inference, self- and cross-attention, return_attention_scores,
use_causal_mask, attention_mask with fully masked rows, query/value masks from Embedding(mask_zero=True)),
Attention (use_scale, score_mode dot/concat, masks, causal, scores) and AdditiveAttention, and two
Transformer encoder models: keras-io's text classifier (its two custom layers) and the same block as a
functional graph with padding masks.

Every case is a small Keras model with seeded weights (dims <= 16), saved by Keras as
data/saving/models_attention/<id>.keras; the record holds the inputs x<i>, weights w<i> (model.weights
order), outputs y<i>, the attention layer's config, weight paths and shapes, the params and the summary.
The generator checks that Keras reloads every file, and nnkern's re-save of every file (needs nnkern built).
"""
import json
import os
import pathlib

import numpy as np

os.environ["COLUMNS"] = "200"
import keras  # noqa: E402

from _golden_io import GoldenWriter  # noqa: E402
from _keras_helpers import check_keras_loads_model_files, save_if_changed, seeded  # noqa: E402
from _transformer_layers import functional_encoder, text_classifier  # noqa: E402
from gen_layers_norm import check_keras_loads_nnkern_files  # noqa: E402

MODEL_DIR = "saving/models_attention"
B = 3  # samples per case


def jsonable(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def as_list(y):
    return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]


def tokens(shape, seed, vocab=10, pad_from=None):
    """int32 token ids in [1, vocab); with pad_from, sample i is padded with 0 from step pad_from[i] on."""
    t = np.random.default_rng(seed).integers(1, vocab, size=shape).astype(np.int32)
    if pad_from is not None:
        for i, start in enumerate(pad_from):
            t[i, start:] = 0
    return t


def generate(data_dir):
    w = GoldenWriter("attention")
    seed = [0]
    saved = []

    def case(case_id, model, feeds, layer=None, params=None, seed_weights=True):
        """Seeded weights for every model weight, Keras's outputs, the file and the layer's record."""
        seed[0] += 1
        s = seed[0]
        if seed_weights:
            weights = [seeded(v.shape, s * 100 + i, -0.8, 0.8) for i, v in enumerate(model.weights)]
            model.set_weights(weights)
        weights = [np.asarray(v) for v in model.get_weights()]
        feed = feeds if len(feeds) > 1 else feeds[0]
        ys = as_list(model.predict(feed, verbose=0))
        rel = f"{MODEL_DIR}/{case_id}.keras"
        save_if_changed(model, pathlib.Path(data_dir) / rel, deflate=True)
        saved.append(({"path": rel, "safe_mode": True}, feed, ys))
        lines = []
        model.summary(print_fn=lines.append)
        record = {"kind": "model", **(params or {}), "n_inputs": len(feeds), "n_weights": len(weights),
                  "n_outputs": len(ys), "output_shapes": [list(t.shape) for t in model.outputs],
                  "params": int(model.count_params()), "summary": "".join(lines), "keras_file": rel}
        if layer is not None:
            record.update({"class_name": type(layer).__name__, "config": jsonable(layer.get_config()),
                           "weight_paths": [v.path for v in layer.weights],
                           "weight_shapes": [list(v.shape) for v in layer.weights],
                           "layer_params": int(layer.count_params())})
        w.add(case_id, record, **{f"x{i}": x for i, x in enumerate(feeds)},
              **{f"w{i}": v for i, v in enumerate(weights)}, **{f"y{i}": y for i, y in enumerate(ys)})

    def inputs(*shapes):
        return [keras.Input(shape) for shape in shapes]

    def floats(*shapes):
        seed[0] += 1
        return [seeded((B,) + tuple(shape), seed[0] * 7 + i, -1.5, 1.5) for i, shape in enumerate(shapes)]

    # ------------------------------------------------------------------ EinsumDense
    einsum_cases = [
        ("matrix", dict(equation="ab,bc->ac", output_shape=4, bias_axes="c", activation="relu"), (6,)),
        ("sequence", dict(equation="abc,cd->abd", output_shape=(None, 4), bias_axes="d"), (5, 6)),
        ("heads", dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de"), (5, 6)),
        ("heads_bias_e", dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="e"), (5, 6)),
        ("heads_bias_d", dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="d",
                              activation="tanh"), (5, 6)),
        ("merge_heads", dict(equation="abcd,cde->abe", output_shape=(None, 7), bias_axes="e"), (4, 2, 3)),
        ("left_ellipsis", dict(equation="...b,bc->...c", output_shape=4, bias_axes="c", activation="gelu"),
         (3, 2, 5)),
        ("right_ellipsis", dict(equation="ab...,bc->ac...", output_shape=(4, 3)), (5, 3)),
        ("transposed_out", dict(equation="abc,cd->adb", output_shape=(4, 5), bias_axes="d"), (5, 6)),
        ("shared_axis", dict(equation="abc,bcd->abd", output_shape=(5, 4), bias_axes="d"), (5, 6)),
        ("no_bias_sigmoid", dict(equation="abc,cd->abd", output_shape=(None, 4), activation="sigmoid"), (5, 6)),
    ]
    for tag, kwargs, shape in einsum_cases:
        layer = keras.layers.EinsumDense(**kwargs)
        (inp,) = inputs(shape)
        case(f"einsum_dense_{tag}", keras.Model(inp, layer(inp)), floats(shape), layer, {"kwargs": kwargs})

    # ------------------------------------------------------------------ MultiHeadAttention
    def mha_case(tag, kwargs, shapes, call=None, n_args=2):
        """MHA on float inputs: shapes of (query, value[, key]); call kwargs; args as given."""
        layer = keras.layers.MultiHeadAttention(**kwargs)
        ins = inputs(*shapes)
        args = ins if len(ins) > 1 else ins * n_args
        out = layer(*args, **(call or {}))
        case(f"mha_{tag}", keras.Model(ins, out), floats(*shapes), layer, {"kwargs": kwargs, "call": call or {}})

    mha_case("self", dict(num_heads=2, key_dim=3), [(5, 8)])
    # value_dim != key_dim: Keras's JAX fused path cannot reshape such heads, so these run with scores returned
    # or with dropout (its Softmax path).
    mha_case("value_dim_output_shape_no_bias", dict(num_heads=3, key_dim=2, value_dim=4, output_shape=6,
                                                    use_bias=False), [(5, 8)], {"return_attention_scores": True})
    mha_case("cross", dict(num_heads=2, key_dim=4), [(4, 8), (6, 5)])
    mha_case("cross_key", dict(num_heads=2, key_dim=4, value_dim=3, dropout=0.1), [(4, 8), (6, 5), (6, 7)])
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    q, v, k = inputs((4, 8), (6, 5), (6, 7))
    case("mha_keyword_tensors", keras.Model([q, v, k], layer(query=q, value=v, key=k)),
         floats((4, 8), (6, 5), (6, 7)), layer)  # the node records value= and key= as keyword tensors
    mha_case("scores", dict(num_heads=2, key_dim=3), [(4, 6), (5, 6)], {"return_attention_scores": True})
    mha_case("causal", dict(num_heads=2, key_dim=3), [(6, 8)], {"use_causal_mask": True})
    mha_case("causal_cross", dict(num_heads=2, key_dim=3), [(6, 8), (4, 8)], {"use_causal_mask": True})
    mha_case("causal_scores", dict(num_heads=1, key_dim=4), [(5, 4)],
             {"use_causal_mask": True, "return_attention_scores": True})
    mha_case("attention_axes_2", dict(num_heads=2, key_dim=2, attention_axes=(2,)), [(3, 4, 6)])
    mha_case("attention_axes_12", dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), [(3, 4, 6)])
    mha_case("attention_axes_12_scores", dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), [(2, 3, 4)],
             {"return_attention_scores": True})
    mha_case("dropout_inference", dict(num_heads=2, key_dim=3, dropout=0.3), [(5, 8)])
    mha_case("gate", dict(num_heads=2, key_dim=3, use_gate=True), [(5, 8)])
    mha_case("sliding_window", dict(num_heads=2, key_dim=3, sliding_window=2), [(6, 8)])
    mha_case("output_shape_2d", dict(num_heads=2, key_dim=3, output_shape=(2, 3)), [(5, 8)])

    # attention_mask as an input, with a fully masked query row (row 1): the fused path averages V uniformly,
    # the Softmax path (scores returned, or dropout) gives 0 there.
    am = np.random.default_rng(5).uniform(size=(B, 4, 5)) > 0.4
    am[:, 1] = False
    am[:, 0, 0] = True
    for tag, kwargs, call in (("attention_mask", dict(num_heads=2, key_dim=3), {}),
                              ("attention_mask_scores", dict(num_heads=2, key_dim=3), {"return_attention_scores": True}),
                              ("attention_mask_dropout", dict(num_heads=2, key_dim=3, dropout=0.2), {}),
                              ("attention_mask_causal", dict(num_heads=2, key_dim=3), {"use_causal_mask": True})):
        layer = keras.layers.MultiHeadAttention(**kwargs)
        q, v = inputs((4, 6), (5, 6))
        m = keras.Input((4, 5), dtype="bool")
        out = layer(q, v, attention_mask=m, **call)
        case(f"mha_{tag}", keras.Model([q, v, m], out), floats((4, 6), (5, 6)) + [am], layer,
             {"kwargs": kwargs, "call": call})

    # Masks from Embedding(mask_zero=True): padded query rows are fully masked.
    pads = [6, 3, 1]
    for tag, kwargs, call in (("embedding_masks", dict(num_heads=2, key_dim=3), {}),
                              ("embedding_masks_scores", dict(num_heads=2, key_dim=3), {"return_attention_scores": True}),
                              ("embedding_masks_dropout", dict(num_heads=2, key_dim=4, dropout=0.1), {}),
                              ("embedding_masks_causal", dict(num_heads=2, key_dim=3), {"use_causal_mask": True})):
        layer = keras.layers.MultiHeadAttention(**kwargs)
        t = keras.Input((6,), dtype="int32")
        e = keras.layers.Embedding(10, 8, mask_zero=True)(t)
        out = layer(e, e, **call)
        first = out[0] if isinstance(out, (list, tuple)) else out
        pooled = keras.layers.GlobalAveragePooling1D()(first)  # uses the output's mask (the query's)
        outs = [out[0], out[1], pooled] if isinstance(out, (list, tuple)) else [out, pooled]
        case(f"mha_{tag}", keras.Model(t, outs), [tokens((B, 6), 11, pad_from=pads)], layer,
             {"kwargs": kwargs, "call": call})
    # Cross-attention: unmasked float query, masked token values (and a separate masked key).
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    q = keras.Input((4, 8))
    t, tk = keras.Input((6,), dtype="int32"), keras.Input((6,), dtype="int32")
    e = keras.layers.Embedding(10, 8, mask_zero=True)(t)
    ek = keras.layers.Embedding(10, 5, mask_zero=True)(tk)
    case("mha_cross_masked_value_key", keras.Model([q, t, tk], layer(q, e, ek)),
         floats((4, 8)) + [tokens((B, 6), 12, pad_from=[6, 2, 4]), tokens((B, 6), 13, pad_from=[5, 6, 1])], layer)

    # ------------------------------------------------------------------ Attention, AdditiveAttention
    def att_case(tag, cls, kwargs, shapes, call=None, masked=False):
        layer = getattr(keras.layers, cls)(**kwargs)
        if masked:  # query and value from Embedding(mask_zero=True)
            tq, tv = keras.Input((5,), dtype="int32"), keras.Input((6,), dtype="int32")
            q = keras.layers.Embedding(10, 4, mask_zero=True)(tq)
            v = keras.layers.Embedding(10, 4, mask_zero=True)(tv)
            ins, args = [tq, tv], [q, v]
            feeds = [tokens((B, 5), 21, pad_from=[5, 2, 0]), tokens((B, 6), 22, pad_from=[6, 3, 1])]
        else:
            ins = args = inputs(*shapes)
            feeds = floats(*shapes)
        out = layer(args, **(call or {}))
        case(f"{cls.lower()}_{tag}", keras.Model(ins, out), feeds, layer, {"kwargs": kwargs, "call": call or {}})

    for cls in ("Attention", "AdditiveAttention"):
        base = {} if cls == "AdditiveAttention" else {}
        att_case("default", cls, base, [(4, 5), (6, 5)])
        att_case("key", cls, base, [(4, 5), (6, 3), (6, 5)])
        att_case("scores", cls, base, [(4, 5), (6, 5)], {"return_attention_scores": True})
        att_case("causal", cls, base, [(5, 4)] * 2, {"use_causal_mask": True})
        att_case("masked", cls, base, None, masked=True)
        att_case("masked_causal_scores", cls, base, None,
                 {"use_causal_mask": True, "return_attention_scores": True}, masked=True)
        att_case("dropout_inference", cls, {**base, "dropout": 0.4}, [(4, 5), (6, 5)])
    att_case("use_scale", "Attention", {"use_scale": True}, [(4, 5), (6, 5)])
    att_case("concat", "Attention", {"score_mode": "concat"}, [(4, 5), (6, 5)])
    att_case("concat_scale_masked", "Attention", {"score_mode": "concat", "use_scale": True}, None, masked=True)
    att_case("no_scale", "AdditiveAttention", {"use_scale": False}, [(4, 5), (6, 5)])

    # ------------------------------------------------------------------ Transformer encoders
    model = text_classifier(keras, maxlen=8, vocab_size=20, embed_dim=8, num_heads=2, ff_dim=16)
    case("transformer_text_classifier", model, [tokens((B, 8), 31, vocab=20).astype(np.float32)],
         params={"custom": True})
    model = functional_encoder(keras, maxlen=7, vocab_size=20, embed_dim=8, num_heads=2, ff_dim=16)
    case("transformer_functional_masked", model,
         [tokens((B, 7), 32, vocab=20, pad_from=[7, 4, 2]), np.tile(np.arange(7, dtype=np.int32), (B, 1))])

    n = w.save(data_dir)
    builtin_only = [s for s in saved if "transformer_text" not in s[0]["path"]]  # the others need custom objects
    check_keras_loads_model_files(data_dir, builtin_only)
    check_keras_loads_nnkern_files(data_dir, builtin_only)
    return n
