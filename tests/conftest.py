import pathlib
import sys

# The golden readers live in tests/golden/ and need only numpy.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "golden"))
