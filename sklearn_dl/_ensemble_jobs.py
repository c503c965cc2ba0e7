"""Fitting a deep ensemble's members: seeded clones spread over joblib workers.

Kept apart from ``ensemble.py`` (the estimators and their mixture) because it is about
processes: worker threads, warnings that travel back to the parent, and how the work is
cut into jobs.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter

from joblib import Parallel, delayed
from sklearn.base import clone

from . import _warn
from ._auto_body import better_candidate, candidates, fit_as_candidate, num_rows
from ._progress import progress_bar


#: a number in a warning's text (members' warnings differing only in these are one)
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


#: ``body_choice`` of the deep ensembles: the first member's fit compares the "auto"
#: body candidates and the others fit the one it keeps, or every member compares its own
BODY_CHOICES = ("shared", "each")


def fit_members(members, X, y, sample_weight, n_jobs, body_choice="shared", progress=None):
    """Fit ``members`` (unfitted, seeded clones) on ``(X, y)``; returns them fitted.

    With ``n_jobs > 1`` they train in joblib worker processes, each limited to
    ``cores // workers`` torch threads (under joblib's threading backend: in threads of
    this process, one seeded fit at a time).  A member that compares body settings (the
    "auto" activation or dropout, see ``_auto_body``) runs its candidates as separate
    jobs: smaller jobs share the workers better than whole members.  With
    ``body_choice="shared"`` only the first member compares; the others then fit the
    setting it keeps (tuned once, as one tunes a model before ensembling it: a fifth of
    the candidate fits for five members).  With ``"each"`` every member compares its
    own, and each ends up as its own ``fit`` would leave it.  Each distinct warning is
    emitted once.  ``progress``: the title of a progress bar over the fits (none when
    false).
    """
    cores = os.cpu_count() or 1
    n_jobs = 1 if n_jobs is None else n_jobs
    if n_jobs < 0:  # joblib's convention: -1 = all cores
        n_jobs = max(1, cores + 1 + n_jobs)
    n_rows = num_rows(X)
    settings = [candidates(m, n_rows) for m in members]
    shared = body_choice == "shared" and len(settings[0]) > 1
    if shared:  # the others wait for the first member's choice
        settings = settings[:1]
    jobs = [(i, m if k == 0 else clone(m), setting)
            for i, (m, member_settings) in enumerate(zip(members, settings))
            for k, setting in enumerate(member_settings)]
    workers = min(max(len(jobs), len(members) - 1), n_jobs)
    threads = max(1, cores // workers) if workers > 1 else None
    n_fits = len(jobs) + (len(members) - 1 if shared else 0)
    with Parallel(n_jobs=workers, return_as="generator") as parallel, \
            progress_bar(n_fits, progress or "", "fit", disable=not progress) as bar:
        def run(jobs):
            done = []  # in the jobs' order, counted on the bar as they finish
            for fit in parallel(delayed(_fit_member)(m, X, y, sample_weight, threads,
                                                     setting, os.getpid())
                                for _, m, setting in jobs):
                done.append(fit)
                bar.update(1)
            return done

        fitted = _best_fits(jobs, run(jobs), n_rows)
        if shared:
            chosen = fitted[0][1]
            rest = [(i, m, chosen) for i, m in enumerate(members) if i]
            fitted += _best_fits(rest, run(rest), n_rows)
    _warn_once([records for (_, records), _ in fitted], len(members))
    return [member for (member, _), _ in fitted]


def _best_fits(jobs, done, n_rows):
    """Per member of ``jobs`` (in their order), the fit :func:`better_candidate`
    keeps among its candidates' ``done`` fits, with that candidate's setting."""
    fitted = []
    for i in dict.fromkeys(j for j, _, _ in jobs):
        fits = [(d, setting) for (j, _, setting), d in zip(jobs, done) if j == i]
        best = better_candidate([m for (m, _), _ in fits], [s for _, s in fits], n_rows)
        fitted.append(fits[best])
    return fitted


def _fit_member(member, X, y, sample_weight, threads, candidate=None, parent=None):
    """Fit one member (or one of its body candidates, see ``_auto_body``); returns it
    with the warnings its fit raised (category, message).

    The warnings travel back to the parent, which emits them once under the user's
    filters: worker processes know neither those filters nor each other's warnings.
    Torch's threads are limited in worker processes only: under joblib's threading
    backend the members run in the parent process (one at a time, as seeded fits do,
    see ``_skorch.seeded``), where each may use every thread and a limit would outlive
    the fit."""
    if threads is not None and os.getpid() != parent:
        import torch

        torch.set_num_threads(threads)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        fit_as_candidate(member, candidate, lambda: member.fit(X, y, **kwargs))
    return member, [(w.category, str(w.message)) for w in caught]


def _warn_once(records, n_members):
    """Emit each distinct member warning once, saying how many members raised it.

    Warnings that differ only in their numbers (each member's own losses) count as
    one; the first member's text is shown."""
    first, counts = {}, Counter()
    for member_records in records:
        for category, message in dict.fromkeys(member_records):
            key = (category, _NUMBER.sub("#", message))
            first.setdefault(key, message)
            counts[key] += 1
    for key, count in counts.items():
        suffix = f" ({count} of {n_members} ensemble members)" if n_members > 1 else ""
        _warn.warn(first[key] + suffix, key[0])

