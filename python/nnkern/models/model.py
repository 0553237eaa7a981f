"""Model: a Layer with predict / evaluate / compile / summary. `Model(inputs, outputs)` makes a
Functional model (as in Keras 3); subclass Model and write call() for a subclassed model."""
import numpy as np

from nnkern.engine import tree
from nnkern.engine.layer import Layer
from nnkern.models import persistence


def _functional_init_arguments(args, kwargs):
    return (len(args) == 2 or (len(args) == 1 and ("outputs" in kwargs or "output" in kwargs))
            or ("inputs" in kwargs and "outputs" in kwargs) or ("input" in kwargs and "output" in kwargs))


class Model(Layer):
    """Keras's Model: `Model(inputs, outputs, name=...)` (also the Keras 1 spelling
    `Model(input=..., output=...)`), or a subclass with its own `call()`."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_init_arguments(args, kwargs):
            from nnkern.models.functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        if args or kwargs:
            raise TypeError(f"Model.__init__() got unexpected arguments {args} {sorted(kwargs)}; a functional "
                            "model needs `inputs` and `outputs`.")
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._compile_metrics = []
        self._loss_weights = None

    # ------------------------------------------------------------------ layers
    @property
    def layers(self):
        return [layer for layer in self._layers if not getattr(layer, "_is_operation", False)]

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or at position `index` of `layers` (exactly one of the two)."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            layers = self.layers
            if len(layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{list(layer.name for layer in self.layers)}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    # ------------------------------------------------------------------ inference
    def _predict_batch(self, flat_inputs):
        """Flat outputs for one batch (subclassed models: call() eagerly)."""
        structure = flat_inputs[0] if len(flat_inputs) == 1 else flat_inputs
        return tree.flatten(self(structure))

    def _array_predictor(self):
        """predict()'s shortcut for one array (see Functional), or None: subclassed models have none."""
        return None

    def _prepare_inputs(self, x):
        """Flat list of numpy arrays (subclassed models take the data as given)."""
        if isinstance(x, (list, tuple)) and all(isinstance(a, np.ndarray) for a in x):
            return [np.asarray(a) for a in x]
        if isinstance(x, dict):
            return [np.asarray(x[k]) for k in sorted(x)]
        return [np.asarray(x, dtype=np.float32) if np.asarray(x).dtype.kind == "f" else np.asarray(x)]

    def _pack_outputs(self, flat):
        return flat[0] if len(flat) == 1 else flat

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for all samples of x (an array, or a list/dict of arrays for several inputs), computed in
        batches of `batch_size` (default 32). One output: an array; several: a list (or dict)."""
        if type(x) is np.ndarray and steps is None and (
                batch_size is None or type(batch_size) is int and batch_size > 0):
            # The common case - one array, one batch, a chain of layers - without per-call structure work.
            predict_array = self._array_predictor()
            if predict_array is not None:
                y = predict_array(x, 32 if batch_size is None else batch_size)
                if y is not None:
                    return y
        if batch_size is None:
            batch_size = 32
        elif not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool):
            raise TypeError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r} (of "
                            f"type {type(batch_size).__name__})")
        batch_size = int(batch_size)
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size}")
        flat = self._prepare_inputs(x)
        n = len(flat[0]) if flat and np.ndim(flat[0]) else 0
        for a in flat[1:]:
            if len(a) != n:
                raise ValueError("Data cardinality is ambiguous: all inputs must have the same number of "
                                 f"samples. Received sizes: {[len(a) for a in flat]}")
        if steps is not None:
            n = min(n, int(steps) * batch_size)
            flat = [a[:n] for a in flat]
        n_batches = max(1, -(-n // batch_size))
        if n_batches == 1:
            outs = self._predict_batch(flat)
            return self._pack_outputs([np.asarray(o) for o in outs])
        bar = _progress_bar(verbose, n_batches)
        pieces = None
        try:
            for start in range(0, n, batch_size):
                outs = self._predict_batch([a[start:start + batch_size] for a in flat])
                if pieces is None:
                    pieces = [[] for _ in outs]
                for p, o in zip(pieces, outs):
                    p.append(o)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return self._pack_outputs([np.concatenate(p, axis=0) for p in pieces])

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=max(1, _num_samples(x)), verbose=0)

    # ------------------------------------------------------------------ compile / evaluate
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True, **kwargs):
        """Record the loss and metrics for evaluate() (nnkern does not train: the optimizer is kept as given)."""
        self.optimizer = optimizer
        self.loss = loss
        self._loss_weights = loss_weights
        self._compile_metrics = metrics or []
        self.compiled = True

    def _output_names(self):
        return [f"output_{i}" for i in range(len(getattr(self, "outputs", []) or [None]))]

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The compiled loss (mean over all samples; summed over outputs with loss_weights) and metrics."""
        if not self.compiled or self.loss is None:
            raise ValueError("You must call `compile()` with a `loss` before calling `evaluate()`.")
        y_pred = self.predict(x, batch_size=batch_size, verbose=verbose, steps=steps)
        preds = tree.flatten(y_pred)
        trues = [np.asarray(t) for t in tree.flatten(y)] if isinstance(y, (list, tuple, dict)) else [np.asarray(y)]
        if len(trues) != len(preds):
            raise ValueError(f"evaluate: the model has {len(preds)} output(s) but y has {len(trues)} target(s).")
        losses = self._per_output(self.loss, len(preds))
        weights = self._per_output(self._loss_weights, len(preds)) if self._loss_weights is not None \
            else [1.0] * len(preds)
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        logs = {}
        total = 0.0
        names = self._output_names()
        for i, (fn, w, t, p) in enumerate(zip(losses, weights, trues, preds)):
            if fn is None:
                continue
            value = _mean_loss(_resolve_loss(fn), t, p, sw)
            total += float(w) * value
            if len(preds) > 1:
                logs[f"{names[i]}_loss"] = value
        logs = {"loss": total, **logs}
        metric_values = []
        metrics = self._compile_metrics
        per_output_metrics = metrics if isinstance(metrics, (list, tuple)) and metrics and \
            isinstance(metrics[0], (list, tuple)) and len(metrics) == len(preds) else [metrics] * len(preds)
        if isinstance(metrics, dict):
            per_output_metrics = [metrics.get(n, []) for n in names]
        from nnkern import metrics as metrics_module
        for i, (ms, t, p) in enumerate(zip(per_output_metrics, trues, preds)):
            for m in (ms if isinstance(ms, (list, tuple)) else [ms]):
                if m is None:
                    continue
                # Keras 3's resolution: 'accuracy' by the shapes of y_true / y_pred, names as given,
                # metric objects and functions keep their own names.
                metric = metrics_module.get_metric(m, t, p)
                metric.reset_state()
                metric.update_state(t, p, sample_weight=sw)
                value = float(metric.result())
                key = metric.name if len(preds) == 1 else f"{names[i]}_{metric.name}"
                logs[key] = value
                metric_values.append(value)
        if return_dict:
            return logs
        if not metric_values and len(logs) == 1:
            return logs["loss"]
        return list(logs.values())

    def _per_output(self, spec, n):
        if isinstance(spec, dict):
            return [spec.get(name) for name in self._output_names()]
        if isinstance(spec, (list, tuple)):
            if len(spec) != n:
                raise ValueError(f"Expected {n} losses/weights (one per output), got {len(spec)}.")
            return list(spec)
        return [spec] * n

    # ------------------------------------------------------------------ summary / config
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Keras 3's summary table (same text as Keras prints without colours)."""
        from nnkern.models.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def _repr_html_(self):
        """Jupyter shows a model as its summary table."""
        from nnkern.models.summary_html import summary_html
        return summary_html(self)

    def get_config(self):
        return Layer.get_config(self)

    def to_json(self, **kwargs):
        """The model as JSON, as Keras writes it (config.json of a `.keras` file); kwargs go to json.dumps."""
        return persistence.saving("model_config_json")(self, **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """As Keras's Model.from_config: a functional model's config rebuilds a Functional model."""
        if cls is Model and "layers" in config and "input_layers" in config and "output_layers" in config:
            from nnkern.models.functional import Functional
            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    # ------------------------------------------------------------------ files and pickling
    def save(self, filepath, overwrite=True, **kwargs):
        """Write the model as a Keras 3 `.keras` file, which Keras 3 loads too."""
        persistence.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights as a Keras 3 `.weights.h5` file."""
        persistence.saving("save_weights")(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from a Keras 3 `.weights.h5` / `.keras` file or a Keras 2 `.h5` file."""
        persistence.saving("load_weights")(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def __reduce__(self):
        # Pickle as the bytes of a .keras archive (config + weights), as Keras 3 does, so models can be
        # sent to worker processes (multiprocessing, Dask, Ray, Spark).
        if not self.built:
            return super().__reduce__()
        # User layer classes travel by reference (importable classes), to be found again when unpickling.
        return (_unpickle_model, (persistence.saving("keras_archive_bytes")(self),
                                  persistence.saving("custom_layer_classes")(self)))


# ---------------------------------------------------------------------- helpers

def _unpickle_model(data, custom_objects=None):
    # The pickle came from a model in memory; unpickling already trusts its source, so Lambda
    # functions are allowed back in.
    return persistence.saving("load_keras_archive")(data, "the pickled model", custom_objects=custom_objects,
                                                    safe_mode=False)


def _num_samples(x):
    leaves = tree.flatten(x)
    return len(leaves[0]) if leaves else 0


def _progress_bar(verbose, n_batches):
    """tqdm to stderr: always for verbose=1; for 'auto' only once the run has taken over a second."""
    if verbose == 0 or verbose is False or verbose == 2 or n_batches <= 1:
        return None
    from tqdm.auto import tqdm
    delay = 0.0 if verbose == 1 or verbose is True else 1.0
    return tqdm(total=n_batches, unit="batch", delay=delay, leave=True, mininterval=0.2)


def _resolve_loss(loss):
    if callable(loss):
        return loss
    from nnkern import losses  # written alongside; imported only when a named loss is used
    return losses.get(loss)


def _mean_loss(fn, y_true, y_pred, sample_weight=None):
    values = np.asarray(fn(y_true, y_pred), dtype=np.float64)
    if values.ndim == 0:
        return float(values)
    if sample_weight is not None:
        per_sample = values.reshape(len(values), -1).mean(axis=1)
        return float(np.sum(per_sample * sample_weight) / max(len(per_sample), 1))
    return float(values.mean())

