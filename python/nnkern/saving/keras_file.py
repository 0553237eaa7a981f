"""Keras 3 `.keras` files (zip of config.json, metadata.json, model.weights.h5) and `.weights.h5` files.

Archives are read in memory (zipfile, and h5py on a BytesIO): nothing is extracted and no path inside
the archive is used as a file name."""
import datetime
import io
import json
import os
import stat

import numpy as np

from nnkern.engine.registry import deserialize, serialize_layer
from nnkern.engine.variable import deferred_initialization, weight_budget
from nnkern.saving import archive, safe_mode as safe_mode_checks
from nnkern.saving.config import check_nesting, check_supported, resolve_layer_class, revive_values
from nnkern.saving.errors import MalformedFileError, SavingError
from nnkern.saving.object_paths import own_variables, variable_groups, vars_path

# Written into metadata.json: the Keras file-format generation these files follow.
KERAS_FORMAT_VERSION = "3.0.0"

# tf.keras 2.13+ wrote `.keras` weights under this name instead of `layers` (Keras reads both).
_TF_KERAS_LAYERS = "_layer_checkpoint_dependencies"
_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _h5py():
    import h5py
    return h5py


def describe(source):
    if isinstance(source, (str, os.PathLike)):
        return f"'{os.fspath(source)}'"
    return "the given file object"


def read_source(source):
    """All bytes of a path, bytes object or binary file object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            raise MalformedFileError(f"'{path}' is a directory (a TensorFlow SavedModel?). nnkern loads Keras "
                                     "3 `.keras` files and Keras 2 `.h5` files.")
        return read_regular_file(path, sum(archive.MAX_MEMBER_BYTES.values()), "model files")
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("load_model() needs a binary file object (opened with 'rb').")
        return bytes(data)
    raise TypeError(f"Expected a file path, bytes or a binary file object. Received: {source!r} "
                    f"(of type {type(source).__name__})")


def read_regular_file(path, limit, kind):
    """The bytes of the regular file at `path`, at most `limit` of them. A FIFO, a device (/dev/zero) or a
    socket is refused before it is opened (opening a FIFO blocks; a device may never end), and so is a
    file that grows while it is read."""
    info = os.stat(path)  # FileNotFoundError for a missing path, as open() would raise
    if not stat.S_ISREG(info.st_mode):
        raise MalformedFileError(f"'{path}' is not a regular file (a FIFO, device or socket); nnkern reads "
                                 f"{kind} from regular files only.")
    if info.st_size > limit:
        raise MalformedFileError(f"'{path}' is larger than the {limit}-byte limit for {kind}.")
    with open(path, "rb") as f:
        data = f.read(info.st_size + 1)
    if len(data) > info.st_size:
        raise MalformedFileError(f"'{path}' grew while it was read; refusing it.")
    return data


def file_kind(data):
    if data.startswith(_ZIP_MAGIC):
        return "keras"
    if data.startswith(_HDF5_MAGIC):
        return "h5"
    return None


def open_h5(data, what):
    """(h5, entries): an HDF5 file over bytes, refused unless self-contained - links to other files or places
    (external or soft links) and datasets stored outside the file (external or virtual) would read other
    files - and the list walk_h5(h5) of its links, walked once for that check and kept for the callers
    (a walk opens every object: 0.15 s for ResNet50's weights)."""
    h5py = _h5py()
    try:
        h5 = h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as e:
        raise MalformedFileError(f"{what}: the weights are not a readable HDF5 file (truncated or "
                                 f"corrupt): {e}") from None
    problem = None
    entries = []
    try:
        for name, hard, obj in walk_h5(h5):
            entries.append((name, hard, obj))
            if not hard:
                problem = f"'{name}' is a soft or external link"
            elif isinstance(obj, h5py.Dataset) and _stored_outside(obj):
                problem = f"dataset '{name}' stores its data outside the file"
            if problem:
                break
    except (OSError, ValueError, RuntimeError, KeyError, SystemError) as e:
        h5.close()
        raise MalformedFileError(f"{what}: the weights HDF5 file is corrupt: {e}") from None
    if problem:
        h5.close()
        raise MalformedFileError(f"{what}: the weights HDF5 file is not self-contained ({problem}); "
                                 "refusing to follow it.")
    return h5, entries


def _stored_outside(dataset):
    """Whether a dataset's values live in other files (external storage or a virtual dataset)."""
    plist = dataset.id.get_create_plist()
    return plist.get_external_count() > 0 or plist.get_layout() == _h5py().h5d.VIRTUAL


def walk_h5(root):
    """(path relative to root, whether the link is a hard link, object) for every link under `root`; object
    is None for a link that is not a hard link (never followed) and for an object met before. HDF5 lists the
    links in one call (H5Lvisit, which follows hard links only); each object is opened by its path with the
    low-level API (h5py's Group.get / __getitem__ per link cost 3 times as much: 0.15 s for ResNet50),
    relative to its parent group: linear in the file, where opening by the full path from the root makes a
    deep chain of groups cost the square of its depth. (H5Lvisit lists a group's link before its links.)"""
    h5py = _h5py()
    links = []
    root.id.links.visit(lambda name, info: links.append((name, info.type)), info=True)
    seen = {root.id}
    groups = {b"": root.id}
    for name, kind in links:
        path = name.decode("utf-8")
        if kind != h5py.h5l.TYPE_HARD:
            yield path, False, None
            continue
        parent, _, base = name.rpartition(b"/")
        oid = h5py.h5o.open(groups[parent], base) if parent in groups else h5py.h5o.open(root.id, name)
        if isinstance(oid, h5py.h5g.GroupID):
            groups[name] = oid
        if oid in seen:
            yield path, True, None
            continue
        seen.add(oid)
        if isinstance(oid, h5py.h5d.DatasetID):
            yield path, True, h5py.Dataset(oid)
        elif isinstance(oid, h5py.h5g.GroupID):
            yield path, True, h5py.Group(oid)
        else:  # a named datatype: nothing to load
            yield path, True, None


def count_weight_elements(entries, under=""):
    """Number of values the datasets among `entries` (of open_h5) under the group path `under` declare."""
    h5py = _h5py()
    return sum(int(np.prod(obj.shape, dtype=np.float64)) for name, _, obj in entries
               if isinstance(obj, h5py.Dataset) and name.startswith(under))


# ---------------------------------------------------------------------- loading

def load_keras_archive(data, what, custom_objects=None, safe_mode=True, compile=False):
    """The model stored in a `.keras` archive given as bytes."""
    with archive.open_archive(data, what) as zf:
        config_bytes = archive.read_member(zf, archive.CONFIG_FILENAME, what)
        names = zf.namelist()
        if archive.WEIGHTS_FILENAME not in names and "model.weights.npz" in names:
            raise MalformedFileError(f"{what} stores its weights as model.weights.npz; nnkern reads "
                                     "model.weights.h5 (Keras's default).")
        if archive.WEIGHTS_FILENAME not in names and "model.weights.json" in names:
            raise MalformedFileError(f"{what} stores sharded weights; nnkern reads a single model.weights.h5.")
        weights_bytes = archive.read_member(zf, archive.WEIGHTS_FILENAME, what)
    config = parse_json(config_bytes, what, archive.CONFIG_FILENAME)
    h5, entries = open_h5(weights_bytes, what)
    # The weights come from the file: initialising them first would cost more than reading them.
    with h5, deferred_initialization():
        # HDF5 can declare datasets far larger than the bytes it stores: count at most one value per byte.
        budget = min(count_weight_elements(entries), len(weights_bytes))
        model = model_from_config(config, what, custom_objects, safe_mode, weights_budget=budget)
        load_weights_from_h5(model, h5, what, entries)
    if compile:
        _compile_from_config(model, config.get("compile_config"))
    return model


def parse_json(data, what, member):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise MalformedFileError(f"{what}: {member} is not valid JSON: {e}") from None


def model_from_config(config, what, custom_objects=None, safe_mode=True, weights_budget=None):
    """Check, revive and deserialize a model config. With `weights_budget` (the number of values the
    weights file holds), layers may not create much more than that: a config with absurd sizes fails
    before allocating."""
    check_nesting(config, what)
    check_supported(config, custom_objects, what)
    if safe_mode:
        safe_mode_checks.check_config(config, custom_objects, what)
    # compile_config is read raw (by name) and only with compile=True; its functions are not revived.
    config = revive_values({k: v for k, v in config.items() if k != "compile_config"}, safe_mode, what,
                           custom_objects)
    # Slack so that a config merely disagreeing with its weights gets the precise per-weight error later.
    limit = 2 ** 62 if weights_budget is None else 2 * weights_budget + (1 << 20)

    def too_big(layer_what, shape):
        return MalformedFileError(f"{what}: the config asks for {layer_what} of shape {tuple(shape)}, more "
                                  f"weights than the file holds ({weights_budget} values in total); the config "
                                  "and weights disagree, or the sizes are absurd.")

    try:
        with weight_budget(limit, too_big):
            model = deserialize(config, custom_objects=custom_objects)
    except SavingError:
        raise
    except (MemoryError, RecursionError) as e:
        raise MalformedFileError(f"{what}: the model config could not be built: {type(e).__name__}") from None
    except Exception as e:
        raise MalformedFileError(f"{what}: the model config could not be turned into a model: "
                                 f"{type(e).__name__}: {e}") from e
    from nnkern.models.model import Model
    if not isinstance(model, Model):
        raise MalformedFileError(f"{what}: the config describes a {type(model).__name__}, not a model.")
    return model


def load_weights_from_h5(model, h5, what, entries):
    """Assign every variable of `model` from a Keras 3 weights file (attribute paths, see object_paths);
    `entries`: open_h5's list of the file's links. Nothing is assigned unless all weights are present with
    the right shapes (a variable not initialised yet - deferred initialisation - is read into in place)."""
    h5py = _h5py()
    pending = []
    used = set()
    opened = {name: obj for name, _, obj in entries if obj is not None}  # h5.get() opens again: slower

    def lookup(path):
        found = opened.get(path)
        return found if found is not None else h5.get(path)

    tf_keras_layers = "layers" not in h5 and _TF_KERAS_LAYERS in h5
    for path, obj in variable_groups(model):
        variables = own_variables(obj)
        location = vars_path(path)
        if tf_keras_layers and location.startswith("layers/"):
            location = _TF_KERAS_LAYERS + location[len("layers"):]
        group = lookup(location)
        if group is not None and not isinstance(group, h5py.Group):
            raise MalformedFileError(f"{what}: '{location}' in the weights file is not a group.")
        stored = len(group) if group is not None else 0
        label = f"layer '{obj.name}' ({type(obj).__name__}, weights at '{location}')"
        if stored != len(variables):
            raise MalformedFileError(f"{what}: {label} expects {len(variables)} weight(s) but the file holds "
                                     f"{stored}.")
        for i, variable in enumerate(variables):
            dataset = lookup(f"{location}/{i}")
            if not isinstance(dataset, h5py.Dataset):
                raise MalformedFileError(f"{what}: {label}: weight {i} ('{variable.name}') is missing.")
            pending.append((variable, read_weight(dataset, variable, f"{what}: {label}: weight {i} "
                                                                     f"('{variable.name}')")))
        if group is not None:
            used.add(location)
    # Only the model's own state: a compiled model's file also holds training state (optimizer/...).
    unused = [name for name, _, obj in entries
              if isinstance(obj, h5py.Group) and name.split("/")[-1] == "vars" and len(obj) and name not in used
              and name.split("/")[0] in ("layers", "vars", _TF_KERAS_LAYERS)]
    if unused:
        raise MalformedFileError(f"{what}: the weights file holds weights the model has no place for: "
                                 f"{sorted(unused)[:10]}.")
    for variable, value in pending:
        if value is not None:
            variable.assign(value)


def read_weight(dataset, variable, where):
    """The value of one stored weight, checked against the variable it is for (shape, numeric dtype); None
    when it was read straight into the variable's buffer instead (a variable not initialised yet holds
    nothing to keep should a later weight fail, and this saves a copy of every weight)."""
    shape = tuple(dataset.shape)  # once: h5py asks HDF5 again for each of shape, ndim and size
    if shape != tuple(variable.shape):
        raise MalformedFileError(f"{where} has shape {shape} in the file but the config gives "
                                 f"{tuple(variable.shape)}.")
    if dataset.dtype.kind not in "fiub":
        raise MalformedFileError(f"{where} has non-numeric dtype {dataset.dtype}.")
    try:
        if not variable.initialized and shape and 0 not in shape:  # not a scalar, not empty
            # The whole dataset into the buffer (shapes checked above), by the low-level read that h5py's
            # read_direct ends in, without its selection objects (a third of the read time per weight).
            all_ = _h5py().h5s.ALL
            variable.fill(lambda buffer: dataset.id.read(all_, all_, buffer))
            return None
        return dataset[()]
    except (OSError, ValueError, TypeError) as e:
        raise MalformedFileError(f"{where} could not be read: {e}") from None


def _compile_from_config(model, compile_config):
    if not isinstance(compile_config, dict) or not compile_config:
        return
    loss = compile_config.get("loss")
    metrics = compile_config.get("metrics")
    if isinstance(loss, (str, type(None))):
        model.compile(loss=loss, metrics=metrics if isinstance(metrics, list) and
                      all(isinstance(m, str) for m in metrics) else None)


# ---------------------------------------------------------------------- saving

def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, bytes):
        return {"class_name": "__bytes__", "config": {"value": value.decode("utf-8")}}
    if value is Ellipsis:  # in the slice specs of op nodes (x[..., 0])
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": value.start, "stop": value.stop, "step": value.step}}
    raise TypeError(f"Cannot serialize {value!r} (of type {type(value).__name__}) to JSON.")


def model_config_json(model, **kwargs):
    return json.dumps(serialize_layer(model), default=_json_default, **kwargs)


def custom_layer_classes(model):
    """{class name: class} of the layers in `model` that are not nnkern's own (user layers)."""
    out = {}
    for _, layer in variable_groups(model):
        cls = type(layer)
        if resolve_layer_class({"class_name": cls.__name__}, None) is not cls:
            out[cls.__name__] = cls
    return out


def weights_h5_bytes(model):
    """A Keras 3 weights file (`model.weights.h5`) for the model, as bytes."""
    buffer = io.BytesIO()
    with _h5py().File(buffer, "w") as h5:
        for path, obj in variable_groups(model):
            group = h5.create_group(path).create_group("vars") if path else h5.create_group("vars")
            group.attrs["name"] = obj.name
            for i, variable in enumerate(own_variables(obj)):
                group.create_dataset(str(i), data=np.asarray(variable.numpy()))
    return buffer.getvalue()


def keras_archive_bytes(model):
    """The `.keras` archive for the model, as bytes (members stored uncompressed, as Keras writes them)."""
    import zipfile
    from nnkern._core import __version__
    _require_built(model)
    config_json = model_config_json(model)
    metadata = json.dumps({"keras_version": KERAS_FORMAT_VERSION, "saved_by": f"nnkern {__version__}",
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(archive.METADATA_FILENAME, metadata)
        zf.writestr(archive.CONFIG_FILENAME, config_json)
        zf.writestr(archive.WEIGHTS_FILENAME, weights_h5_bytes(model))
    return buffer.getvalue()


def _require_built(model):
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: give it an input shape (or call it on data) "
                         "before saving.")
