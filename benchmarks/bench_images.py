"""Image estimators: accuracy, fit time and throughput against references.

Three parts (``--part``, default all):

``digits``
    scikit-learn's 1,797 8x8 digits, 5 stratified 75/25 splits (seeds 0-4):
    test accuracy and fit time of ``CNNClassifier`` (VGG-style preset, augmentation)
    next to scikit-learn's ``MLPClassifier`` and a ``RandomForestClassifier`` on the
    raw (flattened) pixels.  Target: CNN >= 99% test accuracy.

``fashion``
    Fashion-MNIST (60,000 training / 10,000 test 28x28 images; Debian package
    ``dataset-fashion-mnist``, files in ``/usr/share/datasets/fashion-mnist``):
    ``CNNClassifier`` with the VGG-style preset in a CPU-sized budget
    (``--fashion-epochs``), test accuracy recorded after every epoch (a callback; the
    test set never influences training), minutes, next to ``MLPClassifier`` and a
    random forest on raw pixels.  Target: >= 92% test accuracy.

``throughput``
    Images per second of training and prediction: ``CNNClassifier.fit`` /
    ``predict_proba`` against the very same torch module (a re-initialised copy of
    the estimator's ``net_.module_``, input standardisation included) trained by a
    hand-written PyTorch loop (``randperm`` + tensor slicing, Adam, cross-entropy,
    same batch size, same in-memory float32 images) and predicted batch by batch under
    ``inference_mode``.  Repetitions are interleaved (the order alternates) and the
    ratio ``plain time / estimator time`` (= estimator images/s / plain images/s;
    >= 0.9 is the target) is reported from the medians and from the minima of
    wall-clock and of process CPU time over the repetitions (images/s columns: wall
    medians).  On a busy shared machine the minimum is the least disturbed
    measurement.

Threads: ``torch.set_num_threads(--threads)`` (default 1) and ``threadpoolctl`` limits
for numpy/scikit-learn, identical for all contenders; the random forest uses
``n_jobs=--threads``.

Usage::

    .venv/bin/python benchmarks/bench_images.py --part digits
    .venv/bin/python benchmarks/bench_images.py --part fashion --fashion-epochs 12
    .venv/bin/python benchmarks/bench_images.py --part throughput --reps 5

Results go to ``benchmarks/results/bench_images_<part>.json`` and are summarised in
``benchmarks/RESULTS_images.md``.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, md_table, write_json  # noqa: E402

from skorch.callbacks import Callback, LRScheduler  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sklearn_dl import CNNClassifier  # noqa: E402
from sklearn_dl.datasets import load_digits_images, load_fashion_mnist  # noqa: E402


class Clock:
    """Wall-clock and process CPU time of a block."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


class TestAccuracy(Callback):
    """Test accuracy after every epoch, for the accuracy-vs-epochs record (no influence
    on training: eval-mode forward passes, no random draws)."""

    def __init__(self, X, y, batch_size=1000):
        self.X = torch.as_tensor(X, dtype=torch.float32)[:, None]
        self.y = np.asarray(y)
        self.batch_size = batch_size

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        was_training = module.training
        module.eval()
        with torch.inference_mode():
            logits = torch.cat([module(self.X[i:i + self.batch_size])
                                for i in range(0, len(self.X), self.batch_size)])
        module.train(was_training)
        acc = float((logits.argmax(1).numpy() == self.y).mean())
        net.history.record("test_acc", acc)


# -- digits -------------------------------------------------------------------------------
def digits_models(threads):
    return {
        "CNNClassifier vgg (32, 64), augment='light'": lambda: CNNClassifier(
            architecture="vgg", filters=(32, 64), batchnorm=True, dropout=0.3,
            augment="light", lr=2e-3, batch_size=64, max_epochs=60,
            callbacks=[LRScheduler(policy="CosineAnnealingLR", T_max=60)],
            random_state=0),
        "MLPClassifier (256,) raw pixels": lambda: MLPClassifier(
            hidden_layer_sizes=(256,), max_iter=500, random_state=0),
        "RandomForest 500 trees raw pixels": lambda: RandomForestClassifier(
            n_estimators=500, n_jobs=threads, random_state=0),
    }


def bench_digits(args):
    X, y = load_digits_images(return_X_y=True)
    rows, raw = [], {}
    for name, make in digits_models(args.threads).items():
        accs, walls, cpus = [], [], []
        for seed in range(args.digits_splits):
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y,
                                                  random_state=seed)
            if not name.startswith("CNN"):
                Xtr, Xte = Xtr.reshape(len(Xtr), -1), Xte.reshape(len(Xte), -1)
            model = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MLP convergence warnings
                with Clock() as c:
                    model.fit(Xtr, ytr)
            accs.append(float(model.score(Xte, yte)))
            walls.append(c.wall)
            cpus.append(c.cpu)
            print(f"  {name}: split {seed} accuracy {accs[-1]:.4f} fit {c.wall:.1f} s",
                  flush=True)
        raw[name] = dict(accuracy=accs, fit_wall_s=walls, fit_cpu_s=cpus)
        rows.append([name, f"{np.mean(accs):.4f} ± {np.std(accs):.4f}",
                     f"{min(accs):.4f} / {max(accs):.4f}",
                     f"{np.median(walls):.1f}", f"{np.median(cpus):.1f}"])
    table = md_table(["model", "test accuracy mean ± sd", "min / max",
                      "fit wall s (median)", "fit CPU s (median)"], rows)
    print(table)
    return dict(splits=args.digits_splits, test_size=0.25, results=raw, table=table)


# -- Fashion-MNIST ------------------------------------------------------------------------
def bench_fashion(args):
    Xtr, ytr = load_fashion_mnist(kind="train")
    Xte, yte = load_fashion_mnist(kind="test")
    if args.fashion_train:
        Xtr, ytr = Xtr[:args.fashion_train], ytr[:args.fashion_train]
    epochs = args.fashion_epochs
    out = {"n_train": len(Xtr), "n_test": len(Xte)}
    cnn = CNNClassifier(
        architecture="vgg", filters=tuple(args.fashion_filters), batchnorm=True,
        dropout=0.3, augment=[("hflip", 0.5), ("width_shift", 0.1),
                              ("height_shift", 0.1)],
        lr=2e-3, batch_size=128, max_epochs=epochs, validation_fraction=0.05,
        callbacks=[LRScheduler(policy="CosineAnnealingLR", T_max=epochs),
                   TestAccuracy(Xte, yte)],
        verbose=1, random_state=0)
    print(f"CNN: {cnn}", flush=True)
    with Clock() as c:
        cnn.fit(Xtr, ytr)
    acc = float(cnn.score(Xte, yte))
    hist = [{k: row[k] for k in ("epoch", "train_loss", "valid_loss", "test_acc", "dur")}
            for row in cnn.history_]
    out["cnn"] = dict(params=repr(cnn), epochs=cnn.n_epochs_, minutes=c.wall / 60,
                      cpu_minutes=c.cpu / 60, test_accuracy=acc, history=hist,
                      n_parameters=sum(p.numel() for p in cnn.net_.module_.parameters()))
    print(f"CNN vgg {args.fashion_filters}: {cnn.n_epochs_} epochs, {c.wall / 60:.1f} min, "
          f"test accuracy {acc:.4f}", flush=True)
    with Clock() as c:
        pred_n = len(Xte)
        cnn.predict(Xte)
    out["cnn"]["predict_images_per_s"] = pred_n / c.wall

    flat_tr, flat_te = Xtr.reshape(len(Xtr), -1) / 255.0, Xte.reshape(len(Xte), -1) / 255.0
    refs = {
        "MLPClassifier (256,) raw pixels /255": MLPClassifier(
            hidden_layer_sizes=(256,), early_stopping=True, max_iter=100, random_state=0),
        "RandomForest 200 trees raw pixels": RandomForestClassifier(
            n_estimators=200, n_jobs=args.threads, random_state=0),
    }
    for name, model in refs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Clock() as c:
                model.fit(flat_tr, ytr)
        acc = float(model.score(flat_te, yte))
        out[name] = dict(minutes=c.wall / 60, cpu_minutes=c.cpu / 60, test_accuracy=acc)
        print(f"{name}: {c.wall / 60:.1f} min, test accuracy {acc:.4f}", flush=True)
    return out


# -- throughput ---------------------------------------------------------------------------
def plain_fit(module, X, y, *, epochs, batch_size, lr, seed):
    """The hand-written loop: shuffled tensor slices, Adam, cross-entropy."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    n = len(X)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(module(X[idx]), y[idx])
            loss.backward()
            opt.step()
    return module


def plain_predict(module, X, batch_size):
    module.eval()
    with torch.inference_mode():
        return torch.cat([torch.softmax(module(X[i:i + batch_size]), 1)
                          for i in range(0, len(X), batch_size)]).numpy()


THROUGHPUT_NETS = {
    "lenet5": dict(architecture="lenet5"),
    "small (16, 32), dense 64": dict(architecture="small", filters=(16, 32),
                                     dense_units=(64,)),
    "vgg (16, 32, 64) + batchnorm": dict(architecture="vgg", filters=(16, 32, 64),
                                         batchnorm=True),
}


def bench_throughput(args):
    X, y = load_fashion_mnist(kind="test")  # 10,000 images, all in memory
    X = np.ascontiguousarray(X[:args.throughput_n], dtype=np.float32)
    y = y[:args.throughput_n]
    n, epochs, bs = len(X), args.throughput_epochs, 128
    Xt = torch.from_numpy(X)[:, None]  # the same memory, (n, 1, 28, 28)
    yt = torch.as_tensor(y)
    results, rows = {}, []
    for name, kw in THROUGHPUT_NETS.items():
        def make(epochs=epochs):
            return CNNClassifier(**kw, batch_size=bs, max_epochs=epochs, lr=1e-3,
                                 random_state=0)

        # the module the estimator trains, re-initialised for the plain loop
        template = copy.deepcopy(make(1).fit(X[:256], y[:256]).net_.module_)
        times = {k: {"wall": [], "cpu": []} for k in
                 ("fit_estimator", "fit_plain", "predict_estimator", "predict_plain")}
        for rep in range(args.reps):
            order = ("estimator", "plain") if rep % 2 == 0 else ("plain", "estimator")
            for who in order:
                if who == "estimator":
                    est = make()
                    with Clock() as c:
                        est.fit(X, y)
                    fitted = est
                else:
                    module = copy.deepcopy(template)
                    torch.manual_seed(rep)
                    for m in module.modules():
                        if hasattr(m, "reset_parameters"):
                            m.reset_parameters()
                    with Clock() as c:
                        plain_fit(module, Xt, yt, epochs=epochs, batch_size=bs, lr=1e-3,
                                  seed=rep)
                times[f"fit_{who}"]["wall"].append(c.wall)
                times[f"fit_{who}"]["cpu"].append(c.cpu)
            for who in order:
                if who == "estimator":
                    with Clock() as c:
                        fitted.predict_proba(X)
                else:
                    with Clock() as c:
                        plain_predict(module, Xt, bs)
                times[f"predict_{who}"]["wall"].append(c.wall)
                times[f"predict_{who}"]["cpu"].append(c.cpu)
            print(f"  {name} rep {rep}: fit est {times['fit_estimator']['wall'][-1]:.1f} s"
                  f" plain {times['fit_plain']['wall'][-1]:.1f} s; predict est "
                  f"{times['predict_estimator']['wall'][-1]:.2f} s plain "
                  f"{times['predict_plain']['wall'][-1]:.2f} s", flush=True)
        med = {k: {m: statistics.median(v[m]) for m in v} for k, v in times.items()}
        best = {k: {m: min(v[m]) for m in v} for k, v in times.items()}
        res = {"times": times, "median": med, "min": best, "n": n, "epochs": epochs,
               "batch_size": bs,
               "n_parameters": sum(p.numel() for p in template.parameters())}
        for what, images in (("fit", n * epochs), ("predict", n)):
            for m in ("wall", "cpu"):
                est_t, plain_t = med[f"{what}_estimator"][m], med[f"{what}_plain"][m]
                res[f"{what}_ratio_{m}"] = plain_t / est_t
                res[f"{what}_ratio_{m}_min"] = (best[f"{what}_plain"][m]
                                                / best[f"{what}_estimator"][m])
                res[f"{what}_images_per_s_estimator_{m}"] = images / est_t
                res[f"{what}_images_per_s_plain_{m}"] = images / plain_t
            rows.append([name, what, f"{res[f'{what}_images_per_s_estimator_wall']:.0f}",
                         f"{res[f'{what}_images_per_s_plain_wall']:.0f}",
                         f"{res[f'{what}_ratio_wall']:.3f}",
                         f"{res[f'{what}_ratio_cpu']:.3f}",
                         f"{res[f'{what}_ratio_wall_min']:.3f}",
                         f"{res[f'{what}_ratio_cpu_min']:.3f}"])
        results[name] = res
    table = md_table(["module", "", "estimator images/s", "plain loop images/s",
                      "ratio, wall (median)", "ratio, CPU (median)", "ratio, wall (min)",
                      "ratio, CPU (min)"], rows)
    print(table)
    return dict(results=results, table=table, reps=args.reps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("digits", "fashion", "throughput", "all"),
                        default="all")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--digits-splits", type=int, default=5)
    parser.add_argument("--fashion-epochs", type=int, default=12)
    parser.add_argument("--fashion-filters", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--fashion-train", type=int, default=None,
                        help="use only the first N training images (default: all 60,000)")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--throughput-n", type=int, default=5000)
    parser.add_argument("--throughput-epochs", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = ("digits", "fashion", "throughput") if args.part == "all" else (args.part,)
    info = machine_info()
    info["torch_threads"] = args.threads
    print(info, flush=True)
    with threadpool_limits(args.threads):
        for part in parts:
            print(f"== {part}", flush=True)
            with Clock() as c:
                result = globals()[f"bench_{part}"](args)
            result["args"] = vars(args)
            result["part_wall_minutes"] = c.wall / 60
            info_end = dict(info)
            try:
                info_end["loadavg_at_end"] = os.getloadavg()
            except OSError:
                pass
            result["machine"] = info_end
            write_json(f"bench_images_{part}.json", result)


if __name__ == "__main__":
    main()
