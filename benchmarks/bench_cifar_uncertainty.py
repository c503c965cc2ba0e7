"""CIFAR-10: one CNN vs a 5-member deep ensemble vs MC dropout (accuracy, NLL, ECE).

The course's case study on uncertainty in classification (its notebook trains on nine of
CIFAR-10's ten classes, every horse removed, and tests on all ten): the course reports
test accuracy on the known classes of 0.663 for one network, 0.714 for a deep ensemble of
five and 0.706 for MC dropout.  This benchmark runs the same design on the CIFAR-10 slice
of ``sklearn_dl.datasets.load_cifar10(subset=True)`` (9,000 non-horse training images,
1,800 known + 200 horse test images) and records, for each predictor,

* accuracy, NLL (mean log loss) and expected calibration error (15 equal-width bins,
  top-label confidence) on the known classes;
* the AUC with which its total uncertainty (predictive entropy) and, for the ensemble and
  MC dropout, its epistemic part (mutual information) separate horses from known images.

The networks are the course's: two blocks of two 3x3 convolutions (8 and 16 filters) with
2x2 max pooling, dense 100-100 with dropout 0.5 (the "non-Bayesian" member, used without
dropout at prediction); the MC network has dropout 0.3 after every convolution and dense
layer and keeps it on at prediction (``predict_dist(X, mc_samples=...)``).  Adam, lr 1e-3,
batch 128, pixels / 255, a fixed number of epochs (no early stopping, as in the course).
The "single CNN" is the ensemble's first member; the mean of the members' scores is
reported next to it.

The course trains 50 epochs (members) and 400 (MC dropout) on 27,000 images on a GPU;
here one epoch takes about 25 s on one CPU thread, so the defaults are 10 and 20 epochs
(about 30 minutes).  The comparison is at equal training per network, not the course's.

Usage (from the repository root)::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/bench_cifar_uncertainty.py
    ... --epochs 4 --mc-epochs 8          # the gallery example's budget (~14 min)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import machine_info, md_table, require_data, write_json

COURSE = {"single": 0.663, "ensemble": 0.714, "mc_dropout": 0.706}


def course_cnn(conv_dropout, dense_dropout):
    from torch import nn

    def conv(c_in, c_out):
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        return layers + ([nn.Dropout(conv_dropout)] if conv_dropout else [])

    return nn.Sequential(
        *conv(3, 8), *conv(8, 8), nn.MaxPool2d(2), *conv(8, 16), *conv(16, 16),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 8 * 8, 100), nn.ReLU(), nn.Dropout(dense_dropout),
        nn.Linear(100, 100), nn.ReLU(), nn.Dropout(dense_dropout))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per ensemble member")
    parser.add_argument("--mc-epochs", type=int, default=20, help="epochs of the MC network")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--mc-samples", type=int, default=30)
    parser.add_argument("--n-jobs", type=int, default=None, help="ensemble members in parallel")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--limit", type=int, default=None,
                        help="a random part of the images (a smoke run)")
    parser.add_argument("--out", default="cifar_uncertainty")
    args = parser.parse_args()
    require_data("cifar10_subset.npz", loader="load_cifar10")

    import torch
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import roc_auc_score

    from sklearn_dl import CNNClassifier, DeepEnsembleClassifier
    from sklearn_dl.datasets import CIFAR10_CLASSES, load_cifar10
    from sklearn_dl.distributions import decompose_uncertainty
    from sklearn_dl.metrics import expected_calibration_error, log_loss

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # fixed epochs by design
    info = machine_info()
    X_all, y_all = load_cifar10(kind="train", subset=True)
    X_test, y_test = load_cifar10(kind="test", subset=True)
    if args.limit:  # the slice is grouped by class: take a random part
        rng = np.random.RandomState(0)
        keep, keep_test = (rng.permutation(len(y))[:args.limit] for y in (y_all, y_test))
        X_all, y_all, X_test, y_test = X_all[keep], y_all[keep], X_test[keep_test], y_test[
            keep_test]
    horse_label = CIFAR10_CLASSES.index("horse")
    X_train, y_train = X_all[y_all != horse_label], y_all[y_all != horse_label]
    known, horse = y_test != horse_label, y_test == horse_label
    print(f"{len(X_train):,} training images (no horse); test {known.sum():,} known + "
          f"{horse.sum():,} horses; {args.epochs} epochs per member, {args.mc_epochs} MC")

    training = dict(standardize="scale", optimizer="adam", lr=1e-3, batch_size=128,
                    random_state=0)
    times = {}
    start = time.perf_counter()
    ensemble = DeepEnsembleClassifier(
        CNNClassifier(architecture=course_cnn(0.0, 0.5), max_epochs=args.epochs, **training),
        n_estimators=args.members, n_jobs=args.n_jobs, random_state=0).fit(X_train, y_train)
    times["ensemble_fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    mc_net = CNNClassifier(architecture=course_cnn(0.3, 0.3), max_epochs=args.mc_epochs,
                           **training).fit(X_train, y_train)
    times["mc_fit_s"] = time.perf_counter() - start
    classes = ensemble.classes_

    def scores(proba):
        p = proba[known]
        return {"accuracy": float(np.mean(classes[p.argmax(1)] == y_test[known])),
                "nll": float(log_loss(y_test[known], p, labels=classes)),
                "ece": float(expected_calibration_error(y_test[known], p, n_bins=15,
                                                           labels=classes))}

    dists = {"single": ensemble.estimators_[0].predict_dist(X_test),
             "ensemble": ensemble.predict_dist(X_test),
             "mc_dropout": mc_net.predict_dist(X_test, mc_samples=args.mc_samples,
                                               random_state=0)}
    results = {}
    for name, dist in dists.items():
        row = scores(dist.mean())
        parts = decompose_uncertainty(dist)
        row["auc_entropy_horse"] = float(roc_auc_score(horse, parts.entropy))
        if name != "single":
            row["auc_mutual_information_horse"] = float(
                roc_auc_score(horse, parts.mutual_information))
        results[name] = row
    member_rows = [scores(m.predict_proba(X_test)) for m in ensemble.estimators_]
    results["member_mean"] = {k: float(np.mean([r[k] for r in member_rows]))
                              for k in member_rows[0]}
    results["member_sd"] = {k: float(np.std([r[k] for r in member_rows], ddof=1))
                            for k in member_rows[0]}

    names = {"single": "single CNN (member 1)", "member_mean": f"mean of {args.members} members",
             "ensemble": f"deep ensemble of {args.members}",
             "mc_dropout": f"MC dropout ({args.mc_samples} passes)"}
    rows = []
    for key in ("single", "member_mean", "ensemble", "mc_dropout"):
        r = results[key]
        rows.append([names[key], f"{r['accuracy']:.3f}", COURSE.get(key, "-"),
                     f"{r['nll']:.3f}", f"{r['ece']:.3f}",
                     f"{r['auc_entropy_horse']:.3f}" if "auc_entropy_horse" in r else "-",
                     f"{r['auc_mutual_information_horse']:.3f}"
                     if "auc_mutual_information_horse" in r else "-"])
    table = md_table(["predictor (known classes)", "accuracy", "course accuracy", "NLL",
                      "ECE", "AUC horse (entropy)", "AUC horse (MI)"], rows)
    print(table)
    print(f"fit times: ensemble {times['ensemble_fit_s']:.0f} s, "
          f"MC network {times['mc_fit_s']:.0f} s")
    write_json(f"{args.out}.json", {"machine": info, "args": vars(args), "times": times,
                                    "results": results, "course_accuracy": COURSE,
                                    "table": table})


if __name__ == "__main__":
    main()
