"""``python -m kla``: commands, registered explicitly in :mod:`kla.cli.main.main`."""
