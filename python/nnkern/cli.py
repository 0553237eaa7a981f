"""The `nnkern` command line: summary, predict, bench and the bundled demo.

    nnkern summary MODEL
    nnkern predict MODEL INPUT.npy|INPUT.npz [-o OUT.npy|OUT.npz] [--batch-size N]
    nnkern bench MODEL [--batch-size N] [--threads N]
    nnkern plot MODEL [--to model.png] [--show-shapes]
    nnkern demo

Errors print one line to stderr and exit with status 1 (2 for bad command-line usage)."""
import argparse
import io
import os
import sys
import time

import numpy as np


# Input arrays are read into memory whole; a larger file is refused rather than read.
MAX_INPUT_BYTES = 4 << 30


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line instead of argparse's usage block.
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _load(path, unsafe=False):
    from nnkern.models import load_model
    if not os.path.exists(path):
        raise CommandError(f"model file '{path}' does not exist")
    return load_model(path, safe_mode=not unsafe)


def _add_model_arguments(parser):
    parser.add_argument("model", metavar="MODEL", help="a Keras 3 .keras file or a Keras 2 .h5 file")
    parser.add_argument("--unsafe", action="store_true",
                        help="load with safe_mode=False: Lambda bytecode and numpy functions named by the file "
                             "(runs code from the file: only for files you trust)")


def _input_layer_names(model):
    return [t._keras_history[0].name for t in model.inputs]


def _output_names(model):
    return [t._keras_history[0].name for t in model.outputs]


# ---------------------------------------------------------------------- summary

def cmd_summary(args):
    _load(args.model, args.unsafe).summary()


# ---------------------------------------------------------------------- predict

def _read_inputs(path, model):
    names = _input_layer_names(model)
    if not os.path.exists(path):
        raise CommandError(f"input file '{path}' does not exist")
    from nnkern.saving.keras_file import read_regular_file
    data = read_regular_file(path, MAX_INPUT_BYTES, "input arrays")  # never blocks on a FIFO or device
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise CommandError(f"cannot read '{path}' as .npy/.npz: {e}") from None
    if isinstance(loaded, np.ndarray):
        if len(names) != 1:
            raise CommandError(f"the model has {len(names)} inputs {names}: give an .npz with one array per input")
        return [loaded]
    with loaded:
        keys = list(loaded.files)
        if set(names) == set(keys):
            arrays = [loaded[n] for n in names]  # by input name
        elif len(keys) == len(names):
            arrays = [loaded[k] for k in keys]  # by order
        else:
            raise CommandError(f"'{path}' holds arrays {keys}; the model's inputs are {names} (name the arrays "
                               "after the inputs, or give exactly one array per input, in order)")
    return arrays


def _check_input_shapes(model, arrays):
    for t, a, name in zip(model.inputs, arrays, _input_layer_names(model)):
        expected = tuple(t.shape)
        if a.ndim != len(expected) or any(e is not None and e != g for e, g in zip(expected[1:], a.shape[1:])):
            raise CommandError(f"input '{name}' has shape {a.shape}, the model expects {expected} "
                               "(None: any size)")


def cmd_predict(args):
    model = _load(args.model, args.unsafe)
    arrays = _read_inputs(args.input, model)
    _check_input_shapes(model, arrays)
    y = model.predict(arrays if len(arrays) > 1 else arrays[0], batch_size=args.batch_size, verbose=0)
    outputs = list(y) if isinstance(y, (list, tuple)) else [y]
    if args.output is None:
        with np.printoptions(threshold=200, precision=5, suppress=True):
            for name, out in zip(_output_names(model), outputs):
                print(f"{name}: shape {out.shape}, dtype {out.dtype}")
                print(out)
        return
    if len(outputs) > 1 and not args.output.endswith(".npz"):
        raise CommandError(f"the model has {len(outputs)} outputs: write them to an .npz file, not "
                           f"'{args.output}'")
    # Through an open file: np.save / np.savez given a name append '.npy' / '.npz' to one without it
    # (and `-o DIR` wrote DIR.npy). This writes exactly the path given, or fails.
    with open(args.output, "wb") as f:
        if len(outputs) == 1 and not args.output.endswith(".npz"):
            np.save(f, outputs[0])
        else:
            names = _output_names(model)
            if len(set(names)) != len(names):
                names = [f"output_{i}" for i in range(len(outputs))]
            np.savez(f, **dict(zip(names, outputs)))
    print(f"wrote {len(outputs)} output(s) for {len(arrays[0])} samples to {args.output}")


# ---------------------------------------------------------------------- bench

def random_inputs(model, batch_size, seed=0):
    """Random arrays of the model's input shapes and dtypes (None dimensions: batch_size, then 16)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in model.inputs:
        shape = (batch_size,) + tuple(16 if d is None else d for d in t.shape[1:])
        dtype = np.dtype(t.dtype)
        if dtype.kind in "iub":
            # Small non-negative integers: valid indices for any Embedding.
            arrays.append(rng.integers(0, 2, size=shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(dtype))
    return arrays


def time_predict(model, arrays, runs, min_seconds=0.0):
    """Wall-clock seconds of `runs` (or more, until min_seconds) predict calls, after one warm-up."""
    x = arrays if len(arrays) > 1 else arrays[0]
    batch = len(arrays[0])
    model.predict(x, batch_size=batch, verbose=0)
    times = []
    start = time.perf_counter()
    while len(times) < runs or (time.perf_counter() - start < min_seconds and len(times) < 100 * runs):
        t0 = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        times.append(time.perf_counter() - t0)
    return np.array(times)


def cmd_bench(args):
    import nnkern
    if args.threads is not None:
        nnkern.set_num_threads(args.threads)
    model = _load(args.model, args.unsafe)
    arrays = random_inputs(model, args.batch_size)
    times = time_predict(model, arrays, args.runs, min_seconds=args.min_seconds)
    p50, p90, p99 = np.percentile(times, [50, 90, 99]) * 1e3
    shapes = ", ".join(str(a.shape) for a in arrays)
    print(f"model {model.name}: inputs {shapes}, batch size {args.batch_size}, "
          f"threads {nnkern.get_num_threads()}, {len(times)} runs")
    print(f"latency per batch: p50 {p50:.3f} ms, p90 {p90:.3f} ms, p99 {p99:.3f} ms")
    print(f"throughput: {args.batch_size / np.median(times):.1f} samples/s")


# ---------------------------------------------------------------------- demo

_SHADES = " .:-=+*#%@"


def digit_art(image):
    """8x8 intensities in [0, 1] as 8 lines of text, two characters per pixel."""
    levels = np.clip((np.asarray(image).reshape(8, 8) * (len(_SHADES) - 1)).round().astype(int), 0,
                     len(_SHADES) - 1)
    return ["".join(_SHADES[v] * 2 for v in row) for row in levels]


def cmd_demo(args):
    import json
    from importlib import resources
    import nnkern
    data = resources.files("nnkern") / "data"
    with resources.as_file(data / "digits_cnn.keras") as path:
        model = nnkern.models.load_model(path)
    with (data / "digits_test.npz").open("rb") as f, np.load(f) as npz:
        x, y = npz["x"], npz["y"]
    meta = json.loads((data / "digits_meta.json").read_text())

    print("The bundled demo: a small CNN trained with Keras on scikit-learn's 8x8 handwritten digits.\n")
    model.summary()
    probs = model.predict(x, batch_size=256, verbose=0)
    pred = probs.argmax(axis=1)
    correct = int((pred == y).sum())
    accuracy = correct / len(y)
    keras_accuracy = float(meta["keras_accuracy"])
    agree = int((pred == np.asarray(meta["keras_predictions"])).sum())
    print(f"\nheld-out digits: {len(y)}")
    print(f"accuracy (nnkern): {accuracy:.4f} ({correct}/{len(y)})")
    print(f"accuracy (Keras {meta['keras_version']}, recorded when training): {keras_accuracy:.4f}")
    print(f"predictions identical to Keras's: {agree}/{len(y)}")

    one = time_predict(model, [x[:1]], runs=args.runs, min_seconds=0.3)
    many = time_predict(model, [x[:256]], runs=max(3, args.runs // 20), min_seconds=0.3)
    print(f"latency per sample: batch 1: {np.median(one) * 1e6:.1f} us, "
          f"batch 256: {np.median(many) / 256 * 1e6:.2f} us  (threads: {nnkern.get_num_threads()})\n")

    shown = list(range(4)) + [i for i in np.flatnonzero(pred != y)[:2]]
    arts = [digit_art(x[i]) for i in shown]
    print("   ".join(f"{'#' + str(i):<16}" for i in shown))
    for row in range(8):
        print("   ".join(art[row] for art in arts))
    print("   ".join(f"{f'pred {pred[i]} / true {y[i]}':<16}" for i in shown))
    if correct != round(keras_accuracy * len(y)) or agree != len(y):
        raise CommandError(f"the demo's accuracy {accuracy:.4f} / agreement {agree}/{len(y)} differs from "
                           f"Keras's recorded {keras_accuracy:.4f}")
    print("\nOK: nnkern reproduces Keras's accuracy on the same file.")


# ---------------------------------------------------------------------- plot

def cmd_plot(args):
    from nnkern.utils import plot_model
    plot_model(_load(args.model, args.unsafe), to_file=args.to, show_shapes=args.show_shapes,
               show_dtype=args.show_dtype, show_layer_names=args.show_layer_names, rankdir=args.rankdir,
               expand_nested=args.expand_nested, dpi=args.dpi)
    print(f"wrote {args.to}")


# ---------------------------------------------------------------------- main

def build_parser():
    parser = _Parser(prog="nnkern", description="Run Keras models on the CPU with nnkern.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("summary", help="print a model's summary", description="Print the summary of a model file.")
    _add_model_arguments(p)
    p.set_defaults(run=cmd_summary)

    p = sub.add_parser("predict", help="run a model on arrays from a file",
                       description="Run a model on the arrays of an .npy file (one input) or an .npz file (one "
                                   "array per input, by input name or in order).")
    _add_model_arguments(p)
    p.add_argument("input", metavar="INPUT", help="an .npy or .npz file")
    p.add_argument("-o", "--output", help="write the output to this .npy (one output) or .npz (several; keys are "
                                          "the output layer names) file; default: print it")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="samples per batch (default 32)")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("bench", help="time predict on random inputs",
                       description="Latency percentiles and throughput of predict on random inputs of the model's "
                                   "input shapes and dtypes.")
    _add_model_arguments(p)
    p.add_argument("--batch-size", type=_positive_int, default=1, help="samples per call (default 1)")
    p.add_argument("--threads", type=_positive_int, default=None, help="threads for the kernels (default: all)")
    p.add_argument("--runs", type=_positive_int, default=50, help="timed calls, at least (default 50)")
    p.add_argument("--min-seconds", type=float, default=1.0, help="keep timing at least this long (default 1)")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("plot", help="draw a model's graph to a picture (plot_model)",
                       description="Draw the model's layer graph as keras.utils.plot_model does, to PNG, SVG or PDF "
                                   "(by the extension). Needs matplotlib: pip install \"nnkern[plot]\".")
    _add_model_arguments(p)
    p.add_argument("--to", default="model.png", help="the picture file (default model.png)")
    p.add_argument("--show-shapes", action="store_true", help="show input and output shapes")
    p.add_argument("--show-dtype", action="store_true", help="show output dtypes")
    p.add_argument("--show-layer-names", action="store_true", help="show layer names beside the class names")
    p.add_argument("--expand-nested", action="store_true", help="draw nested models' layers in dashed boxes")
    p.add_argument("--rankdir", choices=("TB", "LR", "BT", "RL"), default="TB", help="direction (default TB)")
    p.add_argument("--dpi", type=_positive_int, default=200, help="PNG resolution (default 200)")
    p.set_defaults(run=cmd_plot)

    p = sub.add_parser("demo", help="classify handwritten digits with the bundled Keras-trained model",
                       description="Load the bundled Keras-trained digits CNN, classify its 360 held-out digits, "
                                   "check the accuracy equals Keras's and show latencies.")
    p.add_argument("--runs", type=_positive_int, default=100, help="timed calls at batch 1 (default 100)")
    p.set_defaults(run=cmd_demo)
    return parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _version():
    try:
        from nnkern import __version__
        return f"nnkern {__version__}"
    except ImportError:
        return "nnkern"


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 0
    try:
        args.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one line for the user; NNKERN_DEBUG=1 shows the traceback
        if os.environ.get("NNKERN_DEBUG"):
            raise
        text = " ".join(str(e).split())
        if not isinstance(e, (CommandError, ValueError, OSError)) or not text:
            text = f"{type(e).__name__}: {text}" if text else type(e).__name__
        print(f"nnkern {args.command}: error: {text}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
