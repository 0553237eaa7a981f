"""What `import nnkern` loads: what every program needs, and not the layer families, the file code (json,
zipfile, h5py), the planner or the op classes, which load on first use (layers/__init__.py's `__getattr__`,
saving/__init__.py). Each check runs in a fresh interpreter: in this one the tests have loaded everything."""
import ast
import importlib
import pathlib
import subprocess
import sys

import numpy as np

import nnkern
from nnkern import layers

PACKAGE_DIR = pathlib.Path(nnkern.__file__).resolve().parent

# Modules `import nnkern` must not add to those numpy brings: optional dependencies, the file code, code only
# some models need.
ON_FIRST_USE = {"h5py", "json", "zipfile", "concurrent.futures", "nnkern.saving.keras_file", "nnkern.saving.legacy_h5",
                "nnkern.engine.plan", "nnkern.engine.symbolic_ops", "nnkern.models.serialization", "nnkern.ops",
                "nnkern.backend", "nnkern.applications"} | {f"nnkern.layers.{family}" for family in layers.FAMILIES}


def modules_after(code):
    """The names in sys.modules after a fresh interpreter runs `code`."""
    listing = "\nimport sys\nprint('\\n'.join(sys.modules))"
    return set(subprocess.run([sys.executable, "-c", code + listing], check=True, capture_output=True,
                              text=True).stdout.split())


def test_import_nnkern_leaves_what_programs_may_not_use_unloaded():
    added = modules_after("import nnkern") - modules_after("import numpy")
    assert "nnkern.models" in added and "nnkern.saving" in added  # the check sees what nnkern imports
    assert not added & ON_FIRST_USE


def test_a_layer_name_imports_its_family_only():
    added = modules_after("import nnkern\nnnkern.layers.Dense") - modules_after("import nnkern")
    assert "nnkern.layers.core" in added
    assert not added & {"nnkern.layers.conv_lstm", "nnkern.layers.multi_head_attention", "nnkern.layers.lstm"}


def test_a_model_file_loads_in_a_fresh_process_from_the_families_it_names(tmp_path):
    # The registry finds a file's classes by name on nnkern.layers, importing their families then.
    model_file, data = PACKAGE_DIR / "data" / "digits_cnn.keras", PACKAGE_DIR / "data" / "digits_test.npz"
    x = np.load(data)["x"][:16]
    code = (f"import numpy as np, nnkern\n"
            f"model = nnkern.models.load_model({str(model_file)!r})\n"
            f"np.save({str(tmp_path / 'y.npy')!r}, model.predict(np.load({str(data)!r})['x'][:16], verbose=0))")
    loaded = modules_after(code)
    assert {"nnkern.layers.convolutional", "nnkern.layers.pooling", "nnkern.layers.core"} <= loaded
    assert not loaded & {"nnkern.layers.conv_lstm", "nnkern.layers.multi_head_attention", "nnkern.layers.lstm"}
    expected = nnkern.models.load_model(model_file).predict(x, verbose=0)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-6, atol=1e-6)


def type_checking_imports(path):
    """{module: (names, ...)} of the imports under `if TYPE_CHECKING:` in the module at `path`."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.dump(stmt)
                found[stmt.module] = tuple(sorted(alias.name for alias in stmt.names))
    return found


def test_the_family_table_and_the_imports_type_checkers_read_agree():
    table = {f"nnkern.layers.{family}": tuple(sorted(names)) for family, names in layers.FAMILIES.items()}
    assert type_checking_imports(PACKAGE_DIR / "layers" / "__init__.py") == table


def test_every_exported_name_is_its_family_module_attribute():
    for family, names in layers.FAMILIES.items():
        module = importlib.import_module(f"nnkern.layers.{family}")
        for name in names:
            assert getattr(layers, name) is getattr(module, name), (family, name)
    assert set(layers.__all__) <= set(dir(layers))
