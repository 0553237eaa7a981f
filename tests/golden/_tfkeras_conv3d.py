"""Run by gen_conv3d.py in the tf-keras venv (TF_USE_LEGACY_KERAS=1): builds one of its model architectures
with tf-keras (Keras 2), sets the given weights, saves a legacy .h5 file and writes tf-keras's output.

    python _tfkeras_conv3d.py CASE_ID INPUT_SHAPE_JSON IO_NPZ OUT_H5
"""
import json
import pathlib
import sys

import numpy as np
import tf_keras

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _conv3d_models import cnn3d, convlstm  # noqa: E402


def main(case_id, input_shape, io_path, out_path):
    model = {"cnn3d": cnn3d, "convlstm": convlstm}[case_id](tf_keras, tuple(json.loads(input_shape)))
    with np.load(io_path) as io:
        arrays = dict(io)
    model.set_weights([arrays[f"w{i}"] for i in range(len(model.weights))])
    model.save(out_path, save_format="h5")
    arrays["y_tf_keras"] = model.predict(arrays["x"], verbose=0)
    np.savez(io_path, **arrays)


if __name__ == "__main__":
    main(*sys.argv[1:])
