"""`nnkern plot` on a Keras-saved model file, and Model._repr_html_ (Jupyter) holding summary()'s rows."""
import re
from html.parser import HTMLParser

import pytest

import nnkern as keras
from nnkern import layers
from utils._picture_checks import is_png, svg_ids, svg_root, svg_texts

DIGITS = keras.__path__[0] + "/data/digits_cnn.keras"


def run_cli(*args):
    from cli.test_cli import run   # the CLI tests' subprocess runner (same nnkern, one-line errors)
    return run(*args)


def test_plot_command_writes_the_picture(tmp_path):
    pytest.importorskip("matplotlib")
    result = run_cli("plot", DIGITS, "--to", tmp_path / "digits.svg", "--show-shapes")
    assert result.returncode == 0, result.stderr
    root = svg_root(str(tmp_path / "digits.svg"))
    assert len(svg_ids(root, "node-")) == 7 and len(svg_ids(root, "edge-")) == 6   # Sequential: no input box
    assert "Output shape: (None, 10)" in svg_texts(root)
    result = run_cli("plot", DIGITS, "--to", tmp_path / "digits.png", "--rankdir", "LR", "--dpi", "50")
    assert result.returncode == 0 and is_png(tmp_path / "digits.png")


def test_plot_command_errors_are_one_line(tmp_path):
    result = run_cli("plot", tmp_path / "missing.keras")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.items, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th", "li"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None
        elif tag == "li":
            self.items.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_repr_html_has_the_summary_rows(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")   # summary() crops its lines at the console's width
    a = keras.Input((3,), name="a")
    b = keras.Input((5,), name="b")
    model = keras.Model([a, b], layers.Dense(2, name="dense")(layers.concatenate([a, b], name="merge")), name="m")
    parser = _Cells()
    parser.feed(model._repr_html_())
    lines = []
    model.summary(print_fn=lambda text, **kwargs: lines.extend(text.splitlines()), line_length=200)
    text = "\n".join(lines)
    header, *rows = parser.rows
    assert header == ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    assert [r[0] for r in rows] == ["a (InputLayer)", "b (InputLayer)", "merge (Concatenate)", "dense (Dense)"]
    for row in rows:   # every cell as summary() prints it, on that layer's line
        line = next(line for line in lines if row[0] in line)
        assert all(cell in line for cell in row), (row, line)
    assert parser.items == [re.search(rf"{label}: [^\n]*", text).group(0).strip()
                            for label in ("Total params", "Trainable params", "Non-trainable params")]
    assert parser.items[0] == "Total params: 18 (72.00 B)"
