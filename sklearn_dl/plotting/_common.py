"""Shared helpers of the plotting functions."""

from __future__ import annotations


def get_axes(ax, figsize=(6, 4)):
    """``ax``, or the Axes of a new figure when None (pyplot imported only then)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
        return ax
    if not hasattr(ax, "plot") or not hasattr(ax, "figure"):
        raise TypeError(f"ax must be a matplotlib Axes; got {type(ax).__name__}.")
    return ax


def finish_legend(ax):
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize="small")
