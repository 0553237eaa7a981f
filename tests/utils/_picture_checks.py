"""Structure checks of written pictures: file magic, and the groups / texts of an SVG that
matplotlib writes (``<g id="node-3">``, ``<text>`` elements when svg.fonttype is 'none')."""
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_MAGIC


def is_pdf(path):
    with open(path, "rb") as f:
        return f.read(5) == b"%PDF-"


def svg_root(path_or_bytes):
    if isinstance(path_or_bytes, bytes):
        return ET.fromstring(path_or_bytes)
    return ET.parse(path_or_bytes).getroot()


def svg_ids(root, prefix):
    """The ids of the groups whose id starts with ``prefix`` (e.g. "node-")."""
    return [g.get("id") for g in root.iter(f"{SVG_NS}g") if (g.get("id") or "").startswith(prefix)]


def svg_texts(root):
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG_NS}text")]
