"""``python -m lib ...``: the command line, on the same code the pages use."""

import sys

from lib.cli import main

sys.exit(main())
