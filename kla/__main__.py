"""``python -m kla``: see :mod:`kla.cli.main`."""

import sys

from kla.cli.main import main

sys.exit(main())
