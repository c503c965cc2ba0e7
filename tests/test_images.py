"""Tests of sklearn_dl.images: layouts, PIL and path inputs, standardisation, augmentation."""

import pickle
import time

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sklearn_dl.augmentation import (
    AUGMENT_NAMES,
    ImageAugment,
    build_augmentation,
    parse_augment,
)
from sklearn_dl.images import (
    ImagePathDataset,
    ImageStandardize,
    check_image_shape,
    fit_image_standardizer,
    infer_image_shape,
    is_path_input,
    iter_image_batches,
    n_images,
    resolve_layout,
    to_image_tensor,
)

RNG = np.random.default_rng(0)


def _uint8(*shape):
    return RNG.integers(0, 256, size=shape, dtype=np.uint8)


# -- layouts ---------------------------------------------------------------------------
def test_grey_uint8_keeps_values():
    X = _uint8(5, 6, 7)
    X[0, 0, 0] = 255
    t = to_image_tensor(X)
    assert t.dtype == torch.float32 and t.shape == (5, 1, 6, 7)
    assert torch.equal(t[:, 0], torch.tensor(X, dtype=torch.float32))
    assert t.max() == 255.0  # not rescaled


def test_channels_last_and_first():
    X = _uint8(4, 10, 12, 3)
    expected = torch.tensor(X.transpose(0, 3, 1, 2), dtype=torch.float32)
    assert torch.equal(to_image_tensor(X), expected)
    assert torch.equal(to_image_tensor(X.transpose(0, 3, 1, 2)), expected)
    rgba = _uint8(2, 9, 9, 4)
    assert to_image_tensor(rgba).shape == (2, 4, 9, 9)


def test_floats_unchanged_and_tensor_input():
    X = RNG.random((3, 1, 8, 8))
    assert torch.allclose(to_image_tensor(X), torch.tensor(X, dtype=torch.float32))
    tx = torch.tensor(_uint8(3, 8, 8, 3))
    assert to_image_tensor(tx).shape == (3, 3, 8, 8)
    assert to_image_tensor(tx).dtype == torch.float32


@pytest.mark.parametrize("image_shape, layout, per_image", [
    ((6, 7), "auto", (6, 7)),
    ((6, 7, 3), "auto", (6, 7, 3)),
    ((6, 7, 3), "channels_last", (6, 7, 3)),
    ((3, 6, 7), "channels_first", (3, 6, 7)),
    ((3, 6, 7), "auto", (3, 6, 7)),  # auto also reads image_shape
])
def test_flattened_with_image_shape(image_shape, layout, per_image):
    images = _uint8(4, *per_image)
    expected = to_image_tensor(images, layout=layout)
    flat = images.reshape(4, -1)
    assert torch.equal(to_image_tensor(flat, image_shape=image_shape, layout=layout), expected)
    frame = pd.DataFrame(flat)
    assert torch.equal(to_image_tensor(frame, image_shape=image_shape, layout=layout),
                       expected)
    assert resolve_layout(flat.shape, layout, image_shape) == tuple(expected.shape[1:])


@pytest.mark.parametrize("shape", [(2, 3, 3, 3), (2, 4, 32, 4), (2, 1, 28, 1)])
def test_ambiguous_layout_raises_and_explicit_layout_resolves(shape):
    X = np.zeros(shape)
    with pytest.raises(ValueError, match="layout="):
        to_image_tensor(X)
    assert to_image_tensor(X, layout="channels_first").shape == shape
    assert to_image_tensor(X, layout="channels_last").shape == (2, shape[3], *shape[1:3])


def test_no_channel_axis_needs_explicit_layout():
    X = np.zeros((2, 5, 7, 9))
    with pytest.raises(ValueError, match="no channel dimension"):
        to_image_tensor(X)
    assert to_image_tensor(X, layout="channels_last").shape == (2, 9, 5, 7)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])
def test_non_finite_raises(bad):
    X = RNG.random((2, 5, 5))
    X[1, 2, 3] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        to_image_tensor(X)


@pytest.mark.parametrize("shape", [(10,), (2, 3, 4, 5, 6)])
def test_wrong_ndim_names_shape(shape):
    with pytest.raises(ValueError, match=r"X has shape \(" + str(shape[0])):
        to_image_tensor(np.zeros(shape))


def test_flattened_errors():
    with pytest.raises(ValueError, match="image_shape="):
        to_image_tensor(np.zeros((3, 64)))
    with pytest.raises(ValueError, match="needs 49"):
        to_image_tensor(np.zeros((3, 64)), image_shape=(7, 7))
    with pytest.raises(ValueError, match="image_shape"):
        to_image_tensor(np.zeros((3, 8, 8)), image_shape=(7, 7))
    with pytest.raises(ValueError, match="layout must be"):
        to_image_tensor(np.zeros((3, 8, 8)), layout="nhwc")
    with pytest.raises(TypeError):
        to_image_tensor(np.array([{"a": 1}, {"b": 2}], dtype=object))
    with pytest.raises(TypeError, match="single str"):
        to_image_tensor("image.png")
    with pytest.raises(ValueError, match="no images"):
        to_image_tensor(np.zeros((0, 8, 8)))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(5, 9), w=st.integers(5, 9),
       c=st.sampled_from([1, 3, 4]), flat=st.booleans())
def test_channels_last_round_trip_property(n, h, w, c, flat):
    X = np.arange(n * h * w * c, dtype=np.float64).reshape(n, h, w, c)
    got = (to_image_tensor(X.reshape(n, -1), image_shape=(h, w, c)) if flat
           else to_image_tensor(X))
    assert got.shape == (n, c, h, w)
    np.testing.assert_array_equal(got.permute(0, 2, 3, 1).numpy(), X.astype(np.float32))


# -- PIL images and paths --------------------------------------------------------------
def _pil(a):
    return Image.fromarray(a)


def test_pil_grey_and_mixed():
    grey = [_pil(_uint8(6, 5)) for _ in range(3)]
    t = to_image_tensor(grey)
    assert t.shape == (3, 1, 6, 5)
    assert torch.equal(t[0, 0], torch.tensor(np.asarray(grey[0]), dtype=torch.float32))
    colour = _pil(_uint8(6, 5, 3))
    mixed = to_image_tensor(grey + [colour])
    assert mixed.shape == (4, 3, 6, 5)
    assert torch.equal(mixed[0, 0], mixed[0, 2])  # grey replicated to RGB
    assert torch.equal(mixed[3], torch.tensor(np.asarray(colour)).permute(2, 0, 1).float())


def test_pil_sizes_must_agree_or_be_resized():
    images = [_pil(_uint8(6, 5)), _pil(_uint8(8, 8))]
    with pytest.raises(ValueError, match="image_size"):
        to_image_tensor(images)
    with pytest.raises(ValueError, match="image_size"):
        iter_image_batches(images, 1)  # eager, before the first batch
    assert to_image_tensor(images, image_size=(4, 4)).shape == (2, 1, 4, 4)
    assert infer_image_shape(images, image_size=4) == (1, 4, 4)


@pytest.fixture
def png_paths(tmp_path):
    arrays = [_uint8(6, 7) for _ in range(10)]
    paths = []
    for i, a in enumerate(arrays):
        p = tmp_path / f"img{i}.png"
        _pil(a).save(p)
        paths.append(p)
    return paths, np.stack(arrays)


def test_is_path_input_and_n_images(png_paths):
    paths, arrays = png_paths
    as_str = [str(p) for p in paths]
    for X in (paths, as_str, np.array(as_str), pd.Series(as_str), tuple(paths)):
        assert is_path_input(X)
        assert n_images(X) == 10
    for X in (arrays, "a.png", [], torch.zeros(2, 3, 3), pd.DataFrame(arrays.reshape(10, -1)),
              pd.Series([1.0, 2.0]), np.array(as_str + [3], dtype=object), [[1, 2], [3, 4]]):
        assert not is_path_input(X)
    assert n_images(arrays) == 10 and n_images(pd.DataFrame(arrays.reshape(10, -1))) == 10


def test_paths_stream_batch_by_batch(png_paths, monkeypatch):
    paths, arrays = png_paths
    loads = []
    original = ImagePathDataset.load
    monkeypatch.setattr(ImagePathDataset, "load",
                        lambda self, i: loads.append(i) or original(self, i))
    batches = iter_image_batches(paths, 4)
    first = next(batches)
    assert first.shape == (4, 1, 6, 7) and len(loads) == 4  # lazy: one batch read
    rest = list(batches)
    assert [b.shape[0] for b in rest] == [4, 2]
    got = torch.cat([first, *rest])
    assert torch.equal(got, to_image_tensor(arrays))
    assert torch.equal(to_image_tensor(paths), got)
    assert infer_image_shape(paths) == (1, 6, 7)


def test_path_dataset_with_dataloader(png_paths):
    paths, arrays = png_paths
    y = np.arange(10)
    loader = torch.utils.data.DataLoader(ImagePathDataset(paths, y), batch_size=3)
    xb, yb = next(iter(loader))
    assert xb.shape == (3, 1, 6, 7) and yb.tolist() == [0, 1, 2]
    _, placeholder = ImagePathDataset(paths)[0]
    assert torch.equal(placeholder, torch.Tensor([0]))
    clone = pickle.loads(pickle.dumps(ImagePathDataset(paths, y)))  # for worker processes
    assert torch.equal(clone[4][0][0], torch.tensor(arrays[4], dtype=torch.float32))
    with pytest.raises(ValueError, match="10 paths but 3 targets"):
        ImagePathDataset(paths, y[:3])
    with pytest.raises(ValueError, match="mode"):
        ImagePathDataset(paths, mode="CMYK")


def test_paths_differing_sizes_and_modes(tmp_path, png_paths):
    paths, _ = png_paths
    big = tmp_path / "big.png"
    _pil(_uint8(9, 9, 3)).save(big)
    mixed = paths[:3] + [big]
    with pytest.raises(ValueError, match="big.png"):
        iter_image_batches(mixed, 2)  # eager error names the odd file
    t = to_image_tensor(mixed, image_size=(5, 5))
    assert t.shape == (4, 3, 5, 5)  # one colour file makes all RGB
    assert infer_image_shape(mixed, image_size=(5, 5)) == (3, 5, 5)


def test_sixteen_bit_files_are_rescaled_to_0_255_not_clipped(tmp_path):
    # PIL's convert("L") / convert("RGB") clips 16-bit pixels at 255: a 16-bit PNG would
    # read as a white image without any error
    wide = (np.arange(30).reshape(5, 6) * 2000).astype(np.uint16)
    path16 = tmp_path / "deep.png"
    Image.fromarray(wide).save(path16)
    assert Image.open(path16).mode.startswith("I;16")
    t = to_image_tensor([str(path16)])
    assert t.shape == (1, 1, 5, 6)  # grey: one channel
    np.testing.assert_allclose(t[0, 0].numpy(), wide * (255 / 65535), rtol=1e-6)
    # beside an 8-bit colour file, the grey 16-bit image is replicated to RGB
    colour = tmp_path / "colour.png"
    _pil(_uint8(5, 6, 3)).save(colour)
    both = to_image_tensor([str(path16), str(colour)])
    assert both.shape == (2, 3, 5, 6)
    assert torch.equal(both[0, 0], both[0, 2]) and torch.equal(both[0, 0], t[0, 0])
    # in-memory PIL images of that mode too
    assert torch.equal(to_image_tensor([Image.open(path16)]), t)
    # 32-bit images have no pixel scale: refused, naming the file, before decoding
    Image.fromarray(wide.astype(np.float32)).save(tmp_path / "float.tif")
    with pytest.raises(ValueError, match=r"float.tif.*mode 'F'.*8-bit or 16-bit"):
        iter_image_batches([str(tmp_path / "float.tif")], 2)


def test_resize_is_the_same_for_arrays_and_paths(png_paths):
    paths, arrays = png_paths
    a = to_image_tensor(arrays, image_size=(12, 14))
    assert a.shape == (10, 1, 12, 14)
    assert torch.allclose(a, to_image_tensor(paths, image_size=(12, 14)))


def test_iter_batches_arrays_and_eager_errors():
    X = _uint8(7, 5, 5, 3)
    batches = list(iter_image_batches(pd.DataFrame(X.reshape(7, -1)), 3, image_shape=(5, 5, 3)))
    assert [b.shape[0] for b in batches] == [3, 3, 1]
    assert torch.equal(torch.cat(batches), to_image_tensor(X))
    with pytest.raises(ValueError, match="layout="):
        iter_image_batches(np.zeros((2, 3, 3, 3)), 2)
    with pytest.raises(ValueError, match="batch_size"):
        iter_image_batches(X, 0)
    assert infer_image_shape(X) == (3, 5, 5)
    assert infer_image_shape(X, image_size=(2, 3)) == (3, 2, 3)


def test_check_image_shape_message():
    check_image_shape(torch.zeros(2, 3, 32, 32), (3, 32, 32), "CNNClassifier")
    with pytest.raises(ValueError) as info:
        check_image_shape(torch.zeros(2, 1, 28, 28), (3, 32, 32), "CNNClassifier")
    message = str(info.value)
    assert "(1, 28, 28)" in message and "(3, 32, 32)" in message
    assert "CNNClassifier was fitted" in message and "channels" in message
    with pytest.raises(ValueError, match="resize"):
        check_image_shape((5, 3, 16, 16), (3, 32, 32), "X")


# -- standardisation -------------------------------------------------------------------
def test_standardize_modes():
    X = to_image_tensor(_uint8(20, 6, 6, 3))
    mean, std = fit_image_standardizer(X, "scale")
    assert torch.equal(mean, torch.zeros(3)) and torch.equal(std, torch.full((3,), 255.0))
    for none in (None, False):
        mean, std = fit_image_standardizer(X, none)
        assert torch.equal(mean, torch.zeros(3)) and torch.equal(std, torch.ones(3))
    mean, std = fit_image_standardizer(X, "channel")
    flat = X.double().transpose(0, 1).reshape(3, -1)
    assert torch.allclose(mean.double(), flat.mean(1), rtol=1e-6)
    assert torch.allclose(std.double(), flat.std(1, unbiased=False), rtol=1e-5)
    assert mean.shape == std.shape == (3,) and mean.dtype == torch.float32


def test_standardize_batchwise_equals_full_and_module():
    X = to_image_tensor(_uint8(23, 5, 5, 3)) * 0.7 + 1000.0  # offset: stability
    full = fit_image_standardizer(X, "channel")
    batched = fit_image_standardizer(iter_image_batches(X, 4), "channel")
    for a, b in zip(full, batched):
        assert torch.allclose(a, b, rtol=1e-5)
    layer = ImageStandardize(*full)
    Z = layer(X)
    assert torch.allclose(Z.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-3)
    assert torch.allclose(Z.std(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-3)
    assert set(layer.state_dict()) == {"mean", "std"}
    clone = pickle.loads(pickle.dumps(layer))
    assert torch.equal(clone(X), Z)
    with pytest.raises(ValueError, match=r"\(n, 3, H, W\)"):
        layer(torch.zeros(2, 1, 5, 5))


def test_standardize_errors_and_constant_channel():
    with pytest.raises(ValueError, match="scale"):
        fit_image_standardizer(torch.zeros(2, 1, 3, 3), "zscore")
    with pytest.raises(ValueError, match="ambiguous"):
        fit_image_standardizer(torch.zeros(2, 1, 3, 3), True)
    with pytest.raises(ValueError, match="no images"):
        fit_image_standardizer(iter([]), "channel")
    with pytest.raises(ValueError, match="positive"):
        ImageStandardize([0.0], [0.0])
    X = torch.full((4, 2, 3, 3), 7.0)
    X[:, 1] = torch.arange(36.0).reshape(4, 3, 3)
    mean, std = fit_image_standardizer(X, "channel")
    assert mean[0] == 7.0 and std[0] == 1.0 and std[1] > 1.0


# -- augmentation ----------------------------------------------------------------------
def test_parse_augment_forms():
    assert parse_augment(None) == {} and parse_augment(False) == {}
    assert parse_augment("light") == {"rotation": 10.0, "zoom": 0.05,
                                      "width_shift": 0.1, "height_shift": 0.1}
    assert "hflip" not in parse_augment("light") and "hflip" in parse_augment("standard")
    assert parse_augment("hflip") == {"hflip": 0.5}
    assert parse_augment(["rotation", ("zoom", 0.3)]) == {"rotation": 15.0, "zoom": 0.3}
    assert parse_augment(("rotation", 20)) == {"rotation": 20.0}
    assert parse_augment({"vflip": True, "contrast": 0.4, "zoom": False}) == {
        "vflip": 0.5, "contrast": 0.4}
    assert set(AUGMENT_NAMES) == {"rotation", "zoom", "width_shift", "height_shift",
                                  "hflip", "vflip", "contrast"}


@pytest.mark.parametrize("bad, error, match", [
    ("sheer", ValueError, "valid names.*rotation"),
    (["rotation", "blur"], ValueError, "blur"),
    (True, ValueError, "ambiguous"),
    ({"hflip": 2}, ValueError, "probability"),
    ({"zoom": 1.5}, ValueError, "fraction"),
    ({"rotation": -5}, ValueError, "non-negative"),
    (["rotation", ("rotation", 5)], ValueError, "twice"),
    ([("rotation", 5, 6)], ValueError, "pairs"),
    (3, TypeError, "augment must be"),
])
def test_parse_augment_errors(bad, error, match):
    with pytest.raises(error, match=match):
        parse_augment(bad)


def test_build_augmentation():
    assert build_augmentation(None, (28, 28)) is None
    assert build_augmentation({"zoom": 0}, (28, 28)) is None
    aug = build_augmentation({"width_shift": 7, "height_shift": 0.25}, (28, 14))
    assert aug.width_shift == 0.5 and aug.height_shift == 0.25  # 7 of 14 pixels
    with pytest.raises(ValueError, match="image_hw"):
        build_augmentation({"width_shift": 3})
    with pytest.raises(ValueError, match="not smaller"):
        build_augmentation({"width_shift": 30}, (28, 28))


def _blob(b=8, c=1, h=28, w=28):
    x = torch.zeros(b, c, h, w)
    x[:, :, 6:20, 10:16] = 200.0
    return x


def test_each_image_gets_its_own_draw():
    x = _blob(b=16)
    out = build_augmentation("standard", (28, 28))(x)
    flat = out.reshape(16, -1)
    distinct = {tuple(row.round(decimals=3).tolist()) for row in flat}
    assert len(distinct) == 16


def test_same_seed_same_batch_and_pickle():
    x = _blob(c=3)
    aug = build_augmentation("strong", (28, 28))
    with torch.random.fork_rng():
        torch.manual_seed(3)
        a = aug(x)
    with torch.random.fork_rng():
        torch.manual_seed(3)
        b = pickle.loads(pickle.dumps(aug))(x)
    torch.manual_seed(4)
    c = aug(x)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.dtype == torch.float32


def test_flips_exact_and_eval_is_identity():
    x = torch.rand(4, 2, 5, 6)
    assert torch.equal(ImageAugment(hflip=1.0)(x), x.flip(-1))
    assert torch.equal(ImageAugment(vflip=1.0)(x), x.flip(-2))
    assert torch.equal(ImageAugment()(x), x)
    aug = ImageAugment(rotation=30, contrast=0.5).eval()
    assert aug(x) is x
    with pytest.raises(ValueError, match="float"):
        ImageAugment(rotation=5).train()(torch.zeros(2, 1, 4, 4, dtype=torch.uint8))


def _centroid(img):
    h, w = img.shape[-2:]
    total = img.sum()
    rows = (img.sum(-1) * torch.arange(h)).sum() / total
    cols = (img.sum(-2) * torch.arange(w)).sum() / total
    return float(rows), float(cols)


def test_width_shift_moves_only_horizontally():
    x = _blob(b=32)
    out = ImageAugment(width_shift=0.2)(x)
    r0, c0 = _centroid(x[0, 0])
    moved = [_centroid(img[0]) for img in out]
    assert max(abs(r - r0) for r, _ in moved) < 0.05
    shifts = [abs(c - c0) for _, c in moved]
    assert max(shifts) > 1.0 and max(shifts) <= 0.2 * 28 + 0.5


def test_rotation_is_rigid_on_non_square_images():
    h, w = 28, 56
    yy, xx = torch.meshgrid(torch.arange(h) - (h - 1) / 2, torch.arange(w) - (w - 1) / 2,
                            indexing="ij")
    disk = ((yy**2 + xx**2) < 8**2).float().expand(6, 1, h, w) * 255
    out = ImageAugment(rotation=90)(disk)
    # a centred disk is rotation invariant, up to bilinear blur of its edge (~8 %); an
    # aspect-blind rotation squashes it into an ellipse (35-80 % error)
    error = (out - disk).abs().sum(dim=(1, 2, 3)) / disk.sum(dim=(1, 2, 3))
    assert bool((error < 0.15).all())


def test_contrast_keeps_mean_and_scales_spread():
    x = 100 + 50 * torch.rand(16, 3, 8, 8)
    out = ImageAugment(contrast=0.5)(x)
    assert torch.allclose(out.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)), atol=1e-3)
    ratio = out.std(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3))
    assert bool(((ratio > 0.5 - 1e-4) & (ratio < 1.5 + 1e-4)).all())
    assert ratio.std() > 0.01  # per-image factors
    bright = torch.full((2, 1, 4, 4), 250.0)
    bright[:, :, 0, 0] = 0
    assert ImageAugment(contrast=1.0)(bright).max() <= 255.0


def test_augmentation_is_fast_enough():
    aug = build_augmentation("standard", (28, 28))
    x = torch.rand(128, 1, 28, 28) * 255
    aug(x)
    start = time.perf_counter()
    for _ in range(5):
        aug(x)
    assert (time.perf_counter() - start) / 5 < 0.25  # measured ~2-5 ms per batch
