"""`python -m nnkern ...`: the nnkern command line (see nnkern.cli)."""
import sys

from nnkern.cli import main

sys.exit(main())
