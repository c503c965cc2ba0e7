"""skorch's per-epoch history to and from plain rows (saved model files)."""

from __future__ import annotations


def history_from_rows(rows):
    """A skorch ``History`` holding the given per-epoch rows (a loaded model's)."""
    from skorch.history import History

    history = History()
    for row in rows:
        history.new_epoch()
        for key, value in row.items():
            history.record(key, value)
    return history


def history_frame(history):
    """Per-epoch history without the per-batch records, as a list of dicts."""
    return [{k: v for k, v in row.items() if k != "batches"} for row in history]
