"""Data sets: small tables shipped with the package, generators, and image loaders."""

from ._tabular import load_banknote, make_counts, make_heteroscedastic

__all__ = ["load_banknote", "make_counts", "make_heteroscedastic"]
