"""Regenerate every golden file from real Keras 3.

    python -m venv /tmp/keras && /tmp/keras/bin/pip install keras jax jaxlib h5py pydot
    KERAS_BACKEND=jax /tmp/keras/bin/python tests/golden/generate.py [family ...]

Each ``gen_<family>.py`` beside this file defines ``generate(data_dir)``, which builds single-layer
(or small) Keras models with seeded weights and writes inputs, weights and Keras's outputs through
``_golden_io.GoldenWriter``. With no arguments every family is regenerated. Each family starts with
Keras's name counters reset and the same seed, and Lambda bytecode carries no file path, so a rerun
reproduces the committed files byte for byte (on the same CPU: XLA's code for it decides the last bit of
a few outputs).
"""
import importlib
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv):
    import keras

    from _golden_io import forget_seeded_arrays
    from _keras_helpers import marshal_lambdas_without_paths

    families = argv or sorted(p.stem[len("gen_"):] for p in HERE.glob("gen_*.py"))
    print(f"keras {keras.__version__} ({keras.backend.backend()} backend)")
    marshal_lambdas_without_paths()
    for family in families:
        module = importlib.import_module(f"gen_{family}")
        # Auto-names (dense, dense_1, ...) count from zero in each family: its files are the same whichever
        # families ran before it.
        keras.backend.clear_session()
        keras.utils.set_random_seed(1234)
        forget_seeded_arrays()
        n = module.generate(HERE / "data")
        print(f"{family}: {n} cases")


if __name__ == "__main__":
    main(sys.argv[1:])
