"""Peak memory per Dask worker for N vs 10N (vs 100N) images, and the feature cache's
lookup cost vs its size.

1. Memory.  ``PretrainedFeatureTransformer(backbone, weights=None, input_size=32)
   .transform(X)`` on a dask array ``X`` of random uint8 images ``(n, 64, 64, 3)``,
   generated on the workers chunk by chunk (the images never exist in one place), and
   the features written chunk by chunk with ``dask.array.to_npy_stack``.  Each run gets a
   fresh ``LocalCluster`` (2 worker processes, 1 thread each), so a worker's peak RSS
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that run alone.  Reported
   per worker: the peak after a warm-up (imports + network, one tiny transform), the
   peak after the run, and their difference (what the run added).

   ``chunked`` runs split the images in chunks of ``--chunk`` rows: the peak must stay
   flat as n grows.  ``one-chunk`` runs put all n images in one chunk (what a single
   ``transform`` of the whole array in one task costs) for contrast.

2. Cache lookups.  A ``memory=`` cache is filled with features of C images, then the
   features of the same 200 images are read back (all hits) and timed, and the files
   opened are counted, for C = 200 and C = 10 x 200.  The lookup must not grow with C.

Run: ``.venv/bin/python benchmarks/bench_dask_memory.py`` (about 5 minutes on 2 cores;
``--sizes 200,2000,20000`` adds the 100x run, about 5 more).  Writes
``benchmarks/results/dask_memory.json`` and prints the markdown tables.
"""

from __future__ import annotations

import argparse
import builtins
import logging
import os
import statistics
import tempfile
import time

import _common  # noqa: F401  (puts this checkout on sys.path)
import numpy as np

from _common import machine_info, md_table, write_json


def _rss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _warm_up(settings):
    from sklearn_dl import PretrainedFeatureTransformer

    PretrainedFeatureTransformer(**settings).transform(np.zeros((2, 64, 64, 3), np.uint8))
    return _rss_mib(), os.getpid()


def memory_run(n, chunk, settings, image_size):
    import dask.array as da
    import distributed

    from sklearn_dl import PretrainedFeatureTransformer

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    try:
        warm = client.run(_warm_up, settings)
        rng = da.random.default_rng(0)
        X = rng.integers(0, 256, size=(n, image_size, image_size, 3), dtype=np.uint8,
                         chunks=(chunk, image_size, image_size, 3))
        F = PretrainedFeatureTransformer(**settings).transform(X)
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            da.to_npy_stack(out, F, axis=0)
            seconds = time.perf_counter() - start
        peak = client.run(_rss_mib)
        pids = {w: pid for w, (_, pid) in warm.items()}
        assert pids == client.run(os.getpid), "a worker restarted during the run"
        warm = {w: rss for w, (rss, _) in warm.items()}
    finally:
        client.close()
        cluster.close()
    workers = sorted(warm)
    return {
        "n_images": n, "chunk": chunk, "n_chunks": -(-n // chunk), "seconds": seconds,
        "images_per_s": n / seconds,
        "input_mib": n * image_size * image_size * 3 / 2**20,
        "features_mib": n * F.shape[1] * 4 / 2**20,
        "warm_rss_mib": [warm[w] for w in workers],
        "peak_rss_mib": [peak[w] for w in workers],
        "growth_mib": [peak[w] - warm[w] for w in workers],
    }


def cache_run(n_cached, n_asked, settings, repeats=5):
    from sklearn_dl import PretrainedFeatureTransformer

    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(n_cached, 8, 8), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as location:
        t = PretrainedFeatureTransformer(memory=location, **settings)
        t.transform(X)  # fill the cache with n_cached images
        asked = X[:n_asked]
        opened = []
        real_open = builtins.open

        def counting_open(file, *args, **kwargs):
            if str(file).startswith(location):
                opened.append(file)
            return real_open(file, *args, **kwargs)

        builtins.open = counting_open
        try:
            t.transform(asked)
        finally:
            builtins.open = real_open
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            t.transform(asked)  # all hits: hashing + one file read per image
            times.append(time.perf_counter() - start)
    return {"n_cached": n_cached, "n_asked": n_asked, "files_opened": len(opened),
            "median_seconds": statistics.median(times),
            "ms_per_image": 1000 * statistics.median(times) / n_asked}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,2000", help="image counts, comma-separated")
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--one-chunk-max", type=int, default=2000,
                        help="largest n also run as a single chunk")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    settings = dict(backbone=args.backbone, weights=None, input_size=32, batch_size=32)
    info = machine_info()
    runs = []
    for n in sizes:
        for mode, chunk in (("chunked", args.chunk), ("one-chunk", n)):
            if mode == "one-chunk" and n > args.one_chunk_max:
                continue
            r = memory_run(n, chunk, settings, args.image_size)
            r["mode"] = mode
            runs.append(r)
            print(f"{mode:9s} n={n:6d}: peak {r['peak_rss_mib']} MiB, growth "
                  f"{[round(g) for g in r['growth_mib']]} MiB, {r['seconds']:.1f} s",
                  flush=True)
    cache = [cache_run(c, 200, settings) for c in (200, 2000)]
    for c in cache:
        print(f"cache of {c['n_cached']}: {c['files_opened']} files opened, "
              f"{c['ms_per_image']:.3f} ms per image", flush=True)
    write_json("dask_memory.json", {"machine": info, "settings": settings,
                                    "image_shape": [args.image_size] * 2 + [3],
                                    "memory_runs": runs, "cache_runs": cache})
    print(md_table(
        ["mode", "images", "chunks", "input (MiB)", "peak RSS per worker (MiB)",
         "growth over warm-up (MiB)", "seconds", "images/s"],
        [[r["mode"], r["n_images"], r["n_chunks"], f"{r['input_mib']:.0f}",
          " / ".join(f"{p:.0f}" for p in r["peak_rss_mib"]),
          " / ".join(f"{g:.0f}" for g in r["growth_mib"]), f"{r['seconds']:.1f}",
          f"{r['images_per_s']:.0f}"] for r in runs]))
    print()
    print(md_table(["images in the cache", "images asked", "files opened",
                    "lookup (ms per image)"],
                   [[c["n_cached"], c["n_asked"], c["files_opened"],
                     f"{c['ms_per_image']:.3f}"] for c in cache]))


if __name__ == "__main__":
    main()
