"""Malformed and hostile model files raise clear nnkern.saving errors (ValueErrors) before doing harm."""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import nnkern
from nnkern.saving import MalformedFileError, UnsupportedLayersError, archive
from _golden_io import DATA_DIR

GOOD = DATA_DIR / "saving" / "dense_sequential.keras"


def _members(path=GOOD):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _with_config(edit):
    members = _members()
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config)
    return _zip(members)


def _layer(config, name):
    return next(l for l in config["config"]["layers"] if l["config"]["name"] == name)


def _load(data, **kwargs):
    return nnkern.models.load_model(io.BytesIO(data), **kwargs)


def test_good_file_loads_from_bytes_and_file_object():
    data = GOOD.read_bytes()
    assert isinstance(nnkern.models.load_model(data), nnkern.Model)
    assert isinstance(_load(data), nnkern.Model)


@pytest.mark.parametrize("data,match", [
    (b"", "empty"),
    (b"this is not a model file at all", "neither"),
    (b"PK\x03\x04" + b"\x00" * 40, "not a zip archive|truncated"),
])
def test_not_a_model_file(data, match):
    with pytest.raises(MalformedFileError, match=match):
        _load(data)


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_truncated_archive(fraction):
    data = GOOD.read_bytes()
    with pytest.raises(MalformedFileError):
        _load(data[:int(len(data) * fraction)])


@pytest.mark.parametrize("missing", ["config.json", "model.weights.h5"])
def test_missing_member(missing):
    members = _members()
    del members[missing]
    with pytest.raises(MalformedFileError, match=f"'{missing}' is missing"):
        _load(_zip(members))


def test_config_not_json():
    members = _members()
    members["config.json"] = b"{not json"
    with pytest.raises(MalformedFileError, match="config.json is not valid JSON"):
        _load(_zip(members))


def test_config_not_a_model():
    members = _members()
    members["config.json"] = json.dumps({"class_name": "Dense", "config": {"units": 2, "name": "d"}})
    with pytest.raises(MalformedFileError, match="not a model"):
        _load(_zip(members))


def test_weights_not_hdf5():
    members = _members()
    members["model.weights.h5"] = b"\x89HDF\r\n\x1a\n" + b"\x00" * 100
    with pytest.raises(MalformedFileError, match="not a readable HDF5 file"):
        _load(_zip(members))


def test_weight_shape_disagrees_with_config():
    data = _with_config(lambda c: _layer(c, "dense_1")["config"].update(units=3))
    with pytest.raises(MalformedFileError, match=r"weight 0 \('kernel'\) has shape \(5, 4\) in the file but "
                                                 r"the config gives \(5, 3\)"):
        _load(data)


def _edit_weights(edit):
    members = _members()
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    return _zip(members)


def test_weight_missing_from_file():
    data = _edit_weights(lambda f: f["layers/dense_1/vars"].__delitem__("1"))
    with pytest.raises(MalformedFileError, match=r"layer 'dense_1' \(Dense, weights at 'layers/dense_1/vars'\) "
                                                 r"expects 2 weight\(s\) but the file holds 1"):
        _load(data)


def test_weights_without_a_place_in_the_model():
    data = _edit_weights(lambda f: f.create_group("layers/stray/vars").create_dataset("0", data=np.ones(3)))
    with pytest.raises(MalformedFileError, match="no place for: \\['layers/stray/vars'\\]"):
        _load(data)


def test_non_numeric_weight():
    def edit(f):
        del f["layers/dense/vars/1"]
        f["layers/dense/vars"].create_dataset("1", data=np.array([b"abcde"] * 5))
    with pytest.raises(MalformedFileError, match="non-numeric"):
        _load(_edit_weights(edit))


def test_unknown_layers_all_listed():
    def edit(config):
        _layer(config, "dense")["class_name"] = "FancyDense"
        _layer(config, "activation")["class_name"] = "MysteryActivation"
    with pytest.raises(UnsupportedLayersError) as info:
        _load(_with_config(edit))
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    for part in ["FancyDense (layer 'dense')", "MysteryActivation (layer 'activation')", "custom_objects"]:
        assert part in message


@pytest.mark.parametrize("class_name", ["deserialize", "InputSpec", "__lambda__", "Variable"])
def test_config_naming_non_layer_objects(class_name):
    data = _with_config(lambda c: _layer(c, "dense").update(class_name=class_name))
    with pytest.raises(UnsupportedLayersError, match=f"{class_name} \\(layer 'dense'\\)"):
        _load(data)


def test_custom_objects_supply_a_missing_class():
    data = _with_config(lambda c: _layer(c, "dense")["config"].update() or
                        _layer(c, "dense").update(class_name="MyDense"))
    model = _load(data, custom_objects={"MyDense": nnkern.layers.Dense})
    assert model.layers[0].name == "dense"


@pytest.mark.parametrize("units", [10 ** 8, 10 ** 12])
def test_absurd_sizes_fail_before_allocating(units):
    data = _with_config(lambda c: _layer(c, "dense_1")["config"].update(units=units))
    with pytest.raises(MalformedFileError, match="more weights than the file holds"):
        _load(data)


def test_member_over_the_size_limit(monkeypatch):
    monkeypatch.setitem(archive.MAX_MEMBER_BYTES, "config.json", 1000)
    with pytest.raises(MalformedFileError, match="limit of 1000 bytes"):
        _load(GOOD.read_bytes())


def test_zip_bomb_refused():
    members = _members()
    members["model.weights.h5"] = b"\x00" * (8 << 20)  # deflates ~1000 to 1
    with pytest.raises(MalformedFileError, match="zip bomb"):
        _load(_zip(members, compression=zipfile.ZIP_DEFLATED))


def test_member_size_header_lie_detected():
    data = bytearray(GOOD.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("config.json")
    # The central directory (read by zipfile) comes last; declare 10 bytes fewer than the member holds.
    entry = data.rfind(b"config.json") - 46
    assert data[entry:entry + 4] == b"PK\x01\x02"
    data[entry + 24:entry + 28] = (info.file_size - 10).to_bytes(4, "little")
    with pytest.raises(MalformedFileError, match="config.json"):
        _load(bytes(data))


def test_hostile_member_names_are_never_used_as_paths(tmp_path, monkeypatch):
    members = _members()
    members["../../escaped.txt"] = b"owned"
    members["/tmp/absolute_escape.txt"] = b"owned"
    monkeypatch.chdir(tmp_path)
    model = _load(_zip(members))
    assert isinstance(model, nnkern.Model)
    assert not (tmp_path.parent.parent / "escaped.txt").exists()
    assert os.listdir(tmp_path) == []


def test_lambda_with_corrupt_bytecode():
    case_file = DATA_DIR / "saving" / "lambda_layer.keras"
    members = _members(case_file)
    config = json.loads(members["config.json"])
    lam = next(l for l in config["config"]["layers"] if l["class_name"] == "Lambda")
    lam["config"]["function"]["config"]["code"] = "AAAA"
    members["config.json"] = json.dumps(config)
    with pytest.raises(MalformedFileError, match="bytecode is invalid"):
        _load(_zip(members), safe_mode=False)


def test_h5_weights_file_is_not_a_model(tmp_path):
    model = nnkern.models.load_model(GOOD)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(MalformedFileError, match="no model config"):
        nnkern.models.load_model(tmp_path / "w.weights.h5")


def test_directory_and_missing_path(tmp_path):
    with pytest.raises(MalformedFileError, match="is a directory"):
        nnkern.models.load_model(tmp_path)
    with pytest.raises(FileNotFoundError):
        nnkern.models.load_model(tmp_path / "nope.keras")


def test_real_keras_file_with_unsupported_layers():
    # Keras saved a GRU there (tests/golden/gen_saving.py); nnkern has one now, so it becomes a class nobody has.
    members = _members(DATA_DIR / "saving" / "unsupported_layers.keras")
    config = members["config.json"].decode()
    assert config.count('"class_name": "GRU"') == 1
    members["config.json"] = config.replace('"class_name": "GRU"', '"class_name": "MadeUpRecurrent"').encode()
    with pytest.raises(UnsupportedLayersError) as info:
        _load(_zip(members))
    message = str(info.value)
    assert "MadeUpRecurrent (layer 'gru')" in message
    # supported (the LSTM also when wrapped)
    assert "BatchNormalization" not in message and "Bidirectional" not in message and "LSTM" not in message


@pytest.mark.parametrize("kind", ["external_link", "soft_link", "external_storage"])
def test_weights_reaching_outside_the_file_are_refused(tmp_path, kind):
    secret = tmp_path / "secret.bin"
    np.arange(4, dtype=np.float32).tofile(secret)

    def edit(f):
        if kind == "external_link":
            f["layers/elsewhere"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/vars")
        elif kind == "soft_link":
            f["layers/alias"] = h5py.SoftLink("/layers/dense")
        else:
            f.create_group("layers/leak/vars").create_dataset("0", shape=(4,), dtype="f4",
                                                              external=[(str(secret), 0, 16)])
    with pytest.raises(MalformedFileError, match="not self-contained"):
        _load(_edit_weights(edit))

