"""The import order of the package (see ARCHITECTURE.md), checked on the source with `ast`.

RANKS below is the single statement of the order: a module may import modules of its own rank or lower,
never higher. Every import counts, at module level or inside a function. A name starting with `_` is
private to its module: `from X import _name` is refused unless `_name` is a submodule of package X
(`from nnkern import _core`).
"""
import ast
import pathlib

import pytest

PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[1] / "python" / "nnkern"

# (module or package, rank), lowest first. A module takes the rank of its longest listed prefix; the
# package root `nnkern` (the public facade) matches only itself.
RANKS = [
    ("nnkern._core", 0),               # kernels and their bindings (C++)
    ("nnkern._config", 1),             # thread settings over the bindings
    ("nnkern.activation_kernels", 1),  # float32 activation functions over the kernels
    ("nnkern.ops", 2),                 # keras.ops on numpy arrays
    ("nnkern.activations", 3),         # keras.activations: over ops, never under
    ("nnkern.engine", 4),              # Layer, KerasTensor, graph, plan, registry, argument checks
    ("nnkern.initializers", 4),        # beside the engine (Layer.add_weight uses them)
    ("nnkern.regularizers", 4),        # keras.regularizers / keras.constraints: layer arguments, beside
    ("nnkern.constraints", 4),         # the initializers
    ("nnkern.backend", 5),             # keras.backend, losses, metrics: over ops and engine
    ("nnkern.losses", 5),
    ("nnkern.metrics", 5),
    ("nnkern.layers", 6),
    ("nnkern.models", 7),
    ("nnkern.saving", 8),              # builds models from files
    ("nnkern.utils", 8),               # plot_model
    ("nnkern.explore", 8),             # pictures of one layer or model at work
    ("nnkern.applications", 8),        # keras.applications' builders: build models from layers
    ("nnkern", 9),                     # the package root imports everything it exports
    ("nnkern.cli", 10),
    ("nnkern.__main__", 11),
]


def rank_of(module):
    best = None
    for prefix, rank in RANKS:
        if module == prefix or (prefix != "nnkern" and module.startswith(prefix + ".")):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, rank)
    return None if best is None else best[1]


def package_modules(package_dir):
    """{dotted module name: path} of every module in the package (a package is its __init__)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    modules.setdefault("nnkern._core", None)  # the compiled extension
    return modules


def imports_of(module, path, modules):
    """(line, imported module, imported private name or None) for every import in the module's source."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")
                package = package[:len(package) - node.level + (1 if is_package else 0)]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:  # `from nnkern import layers` imports the module nnkern.layers
                    yield node.lineno, submodule, None
                else:
                    private = alias.name if alias.name.startswith("_") and not alias.name.startswith("__") else None
                    yield node.lineno, base, private


def violations(package_dir=PACKAGE_DIR):
    """Every import against the order, and every private name taken from another module."""
    modules = package_modules(package_dir)
    found = []
    for module, path in modules.items():
        if path is None:
            continue
        own = rank_of(module)
        if own is None:
            found.append(f"{module}: not in RANKS (add it to tests/test_architecture.py and ARCHITECTURE.md)")
            continue
        for line, target, private in imports_of(module, path, modules):
            if not (target == "nnkern" or target.startswith("nnkern.")):
                continue
            if private is not None and target != module:
                found.append(f"{module}:{line} imports the private name {private} from {target}")
            target_rank = rank_of(target)
            if target_rank is not None and target_rank > own:
                found.append(f"{module}:{line} (rank {own}) imports {target} (rank {target_rank})")
    return found


def test_imports_follow_the_order():
    found = violations()
    assert not found, "imports against the order of ARCHITECTURE.md:\n" + "\n".join(found)


def test_the_checker_finds_upward_and_private_imports(tmp_path):
    # A miniature package with one import of each forbidden kind, at module and at function level.
    root = tmp_path / "nnkern"
    (root / "engine").mkdir(parents=True)
    (root / "layers").mkdir()
    (root / "__init__.py").write_text("")
    (root / "engine" / "__init__.py").write_text("")
    (root / "engine" / "layer.py").write_text("_state = {}\n\ndef f():\n    from nnkern.layers import core\n")
    (root / "layers" / "__init__.py").write_text("")
    (root / "layers" / "core.py").write_text("from nnkern.engine.layer import _state\nimport nnkern.models\n")
    (root / "layers" / "ok.py").write_text("from nnkern import _core\nfrom nnkern.engine import layer\n")
    (root / "newfamily.py").write_text("")
    found = violations(root)
    assert sorted(found) == sorted([
        "nnkern.engine.layer:4 (rank 4) imports nnkern.layers.core (rank 6)",
        "nnkern.layers.core:1 imports the private name _state from nnkern.engine.layer",
        "nnkern.layers.core:2 (rank 6) imports nnkern.models (rank 7)",
        "nnkern.newfamily: not in RANKS (add it to tests/test_architecture.py and ARCHITECTURE.md)",
    ])


@pytest.mark.parametrize("module, rank", [("nnkern", 9), ("nnkern.layers.core", 6), ("nnkern.ops._nn", 2),
                                          ("nnkern.activations", 3), ("nnkern.activation_kernels", 1)])
def test_rank_of_takes_the_longest_prefix(module, rank):
    assert rank_of(module) == rank
