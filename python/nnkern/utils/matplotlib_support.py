"""matplotlib is an optional dependency (the ``plot`` extra): everything that draws gets it here, so the
error that names the extra lives in one place. Figures are made without pyplot, on an Agg canvas, so
nothing depends on a display or on pyplot's global figure list."""
import os

INSTALL_HINT = 'pip install "nnkern[plot]"'


def require_matplotlib(what):
    """The matplotlib module, or an ImportError telling how to get it; ``what`` names the caller."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(f"{what} draws with matplotlib, which is not installed; install it with "
                          f"`{INSTALL_HINT}` (or `pip install matplotlib`).") from e
    return matplotlib


def new_figure(what, **kwargs):
    """A matplotlib Figure attached to an Agg canvas (PNG, SVG and PDF all save from it)."""
    require_matplotlib(what)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(**kwargs)
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, to_file, dpi=None, extension=None):
    """Write ``figure`` to ``to_file`` as ``extension``, by default the file's (png when it has none).
    Text stays text in SVG (not glyph outlines), so the labels can be read back from the file."""
    import matplotlib
    to_file = os.fspath(to_file)
    extension = extension or os.path.splitext(to_file)[1][1:].lower() or "png"
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "nnkern"}):
        figure.savefig(to_file, format=extension, dpi=dpi)
    return extension
