"""Dasbor KLA Kota Serang: domain package.

Everything here is importable and testable without Streamlit, except :mod:`kla.ui`
(the single package allowed to import streamlit; ``tests/test_structure.py`` enforces it).
"""

__version__ = "0.1.0"
