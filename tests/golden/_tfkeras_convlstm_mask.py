"""Run by gen_conv3d.py in the tf-keras venv (TF_USE_LEGACY_KERAS=1): a ConvLSTM2D call with a mask, by
tf-keras (Keras 2). Keras 3.15's JAX backend broadcasts a (batch, 1) step mask against the
(batch, rows, cols, filters) states from the right, i.e. along the cols axis, so its masked ConvLSTM output
is not per sample; tf-keras tiles the mask over the state's axes, which is the RNN masking rule.

    python _tfkeras_convlstm_mask.py IO_NPZ   (x, mask, w0.., kwargs as JSON text; writes y0..)
"""
import json
import sys

import numpy as np
import tf_keras


def main(io_path):
    with np.load(io_path) as io:
        arrays = dict(io)
    layer = tf_keras.layers.ConvLSTM2D(**json.loads(str(arrays["kwargs"])))
    layer.build(arrays["x"].shape)
    layer.set_weights([arrays[f"w{i}"] for i in range(len(layer.weights))])
    out = layer(arrays["x"], mask=arrays["mask"])
    for i, y in enumerate(out if isinstance(out, (list, tuple)) else [out]):
        arrays[f"y{i}"] = np.asarray(y)
    np.savez(io_path, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
