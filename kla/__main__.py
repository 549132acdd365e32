"""``python -m kla``: see :mod:`kla.cli`."""

import sys

from kla.cli import main

sys.exit(main())
