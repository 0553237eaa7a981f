"""Genuine Keras 2 `.h5` model files (tf-keras 2.21, not Keras 3's legacy writer) for the attention layers:
MultiHeadAttention (self, cross with key, causal, output_shape/value_dim, attention_axes; masks from
Embedding(mask_zero=True)), Attention (dot, use_scale, concat), AdditiveAttention and EinsumDense, with
seeded weights. Writes data/saving/keras2_attention/<id>.h5(.gz) and data/keras2_attention.{json.gz,npz} (inputs
x<i>, outputs y<i>). Not run by generate.py (which runs Keras 3):

    TF_USE_LEGACY_KERAS=1 /tmp/tfkeras/bin/python tests/golden/keras2_attention.py
"""
import os
import pathlib
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _golden_io import GoldenWriter, seeded as golden_seeded, store_gzipped  # noqa: E402

DIR = "saving/keras2_attention"
B = 3


def seeded(shape, seed, low=-0.8, high=0.8):
    return golden_seeded(shape, seed, low, high)


def padded_tokens(shape, seed, pad_from):
    t = np.random.default_rng(seed).integers(1, 10, size=shape).astype(np.int32)
    for i, start in enumerate(pad_from):
        t[i, start:] = 0
    return t


def main():
    keras.utils.set_random_seed(1234)
    data_dir = HERE / "data"
    (data_dir / DIR).mkdir(parents=True, exist_ok=True)
    w = GoldenWriter("keras2_attention")
    counter = [0]

    def case(case_id, model, feeds):
        counter[0] += 1
        model.set_weights([seeded(v.shape, counter[0] * 100 + i) for i, v in enumerate(model.weights)])
        feed = feeds if len(feeds) > 1 else feeds[0]
        ys = model.predict(feed, verbose=0)
        ys = ys if isinstance(ys, list) else [ys]
        rel = f"{DIR}/{case_id}.h5"
        model.save(data_dir / rel)
        store_gzipped(data_dir / rel)
        w.add(case_id, {"h5_file": rel, "n_inputs": len(feeds), "n_outputs": len(ys),
                        "params": int(model.count_params())},
              **{f"x{i}": x for i, x in enumerate(feeds)}, **{f"y{i}": np.asarray(y) for i, y in enumerate(ys)})

    def floats(*shapes):
        return [seeded((B,) + s, 1000 + counter[0] * 10 + i, -1.5, 1.5) for i, s in enumerate(shapes)]

    L = keras.layers
    q = keras.Input((5, 8))
    case("mha_self", keras.Model(q, L.MultiHeadAttention(2, 3)(q, q)), floats((5, 8)))
    q, v, k = keras.Input((4, 8)), keras.Input((6, 5)), keras.Input((6, 7))
    case("mha_cross_key_value_dim", keras.Model([q, v, k], L.MultiHeadAttention(2, 4, value_dim=3, output_shape=6)(
        q, v, k)), floats((4, 8), (6, 5), (6, 7)))
    q = keras.Input((6, 8))
    out, scores = L.MultiHeadAttention(2, 3)(q, q, use_causal_mask=True, return_attention_scores=True)
    case("mha_causal_scores", keras.Model(q, [out, scores]), floats((6, 8)))
    q = keras.Input((3, 4, 6))
    case("mha_attention_axes", keras.Model(q, L.MultiHeadAttention(2, 2, attention_axes=(2,))(q, q)),
         floats((3, 4, 6)))
    t = keras.Input((6,), dtype="int32")
    e = L.Embedding(10, 8, mask_zero=True)(t)
    x = L.MultiHeadAttention(2, 3)(e, e)
    case("mha_embedding_masks", keras.Model(t, [x, L.GlobalAveragePooling1D()(x)]),
         [padded_tokens((B, 6), 7, [6, 3, 1])])
    q, v = keras.Input((4, 5)), keras.Input((6, 5))
    case("attention_dot", keras.Model([q, v], L.Attention()([q, v])), floats((4, 5), (6, 5)))
    case("attention_scale_causal", keras.Model([q, v], L.Attention(use_scale=True)([v, v], use_causal_mask=True)),
         floats((4, 5), (6, 5)))
    case("attention_concat", keras.Model([q, v], L.Attention(score_mode="concat")([q, v])), floats((4, 5), (6, 5)))
    case("additive_attention", keras.Model([q, v], L.AdditiveAttention()([q, v])), floats((4, 5), (6, 5)))
    tq, tv = keras.Input((5,), dtype="int32"), keras.Input((6,), dtype="int32")
    eq, ev = L.Embedding(10, 4, mask_zero=True)(tq), L.Embedding(10, 4, mask_zero=True)(tv)
    case("attention_masked", keras.Model([tq, tv], L.Attention()([eq, ev])),
         [padded_tokens((B, 5), 8, [5, 2, 0]), padded_tokens((B, 6), 9, [6, 3, 1])])
    x = keras.Input((5, 6))
    case("einsum_dense", keras.Model(x, L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de",
                                                      activation="relu")(x)), floats((5, 6)))
    print(f"keras2_attention: {w.save(data_dir)} cases")


if __name__ == "__main__":
    main()
