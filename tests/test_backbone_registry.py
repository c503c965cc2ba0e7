"""The backbone registry: one entry per backbone carries every fact the code uses."""

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from sklearn_dl.bodies.backbones import (
    BACKBONES, Stage, get_backbone, list_backbones, register_backbone, torchvision_weights,
)
from sklearn_dl.bodies.pretrained import (
    LITE_SPEC, TORCHVISION_SPEC, block_param_groups, build_feature_extractor, list_layers,
    resolve_weights,
)
from sklearn_dl.inspection import receptive_field


@pytest.fixture
def resnet34():
    """ResNet-34 registered for one test by a single entry, then removed again."""
    stages = [Stage("stem", ("conv1", "bn1"), "maxpool")] + [
        Stage(f"layer{i}", (f"layer{i}",), f"layer{i}") for i in range(1, 5)]

    @register_backbone("resnet34_test", stages=stages, default_layer="layer4",
                       head_prefixes=("fc.",), resolve_named=torchvision_weights("resnet34"))
    def build(input_size=None, head=True):
        return torchvision.models.resnet34()

    yield "resnet34_test"
    BACKBONES.pop("resnet34_test")


def test_a_new_backbone_is_one_entry(resnet34):
    assert resnet34 in list_backbones()
    assert list_layers(resnet34) == ["stem", "layer1", "layer2", "layer3", "layer4"]
    src = resolve_weights(resnet34, "DEFAULT")  # named weights, nothing downloaded
    assert src.name == "torchvision:ResNet34_Weights.IMAGENET1K_V1"
    torch.manual_seed(0)
    fe = build_feature_extractor(resnet34, None, layer="layer3", input_size=64, copy=True)
    assert fe.feature_map_shape == (256, 4, 4) and list(fe.stages())[-1] == "layer3"
    plan = block_param_groups(nn.Sequential(fe, nn.Linear(256, 2)), 1, lr=1.0)
    assert [(name, mult) for name, _, mult in plan.blocks][-2:] == [("layer2", 0.0),
                                                                     ("layer3", 0.1)]
    table = receptive_field(resnet34).set_index("layer")
    # ResNet-18's 435 plus 2 * jump per extra 3x3 convolution: 2, 4, 8 and 2 more of them in
    # layer1-4, at jumps 4, 8, 16 and 32
    assert table.loc["layer4.2.conv2", "receptive_field"] == 435 + 2 * (
        2 * 4 + 4 * 8 + 8 * 16 + 2 * 32)


def test_registration_is_checked():
    with pytest.raises(ValueError, match="already registered"):
        register_backbone("vgg16", stages=(), default_layer="x", head_prefixes=(),
                          resolve_named=None)(lambda **kw: None)
    with pytest.raises(ValueError, match="default_layer 'block9'"):
        register_backbone("broken_test", stages=[Stage("a", ("a",), "a")],
                          default_layer="block9", head_prefixes=(),
                          resolve_named=None)(lambda **kw: None)
    assert "broken_test" not in BACKBONES
    with pytest.raises(ValueError, match=r"Unknown backbone 'alexnet'; choose one of \["):
        get_backbone("alexnet")


def test_entries_carry_the_per_backbone_facts():
    lite, vgg = get_backbone("efficientnet_lite0"), get_backbone("VGG16")
    assert lite.random_init_preprocessing == LITE_SPEC and lite.local_format == \
        "efficientnet_lite" and lite.size_dependent and not lite.has_classifier
    assert vgg.random_init_preprocessing == TORCHVISION_SPEC and vgg.lazy_classifier
    assert vgg.fix_state_dict({"0.weight": 1}) == {"features.0.weight": 1}
    assert vgg.fix_state_dict({"features.0.weight": 1}) == {"features.0.weight": 1}
    for spec in BACKBONES.values():
        assert spec.default_layer in spec.stage_names and spec.head_prefixes
        assert spec.description and spec.reference.startswith("https://")
        heads = [s.head for s in spec.stages]
        assert heads == sorted(heads)  # classifier stages come last


def test_extractor_stage_taps_change_nothing():
    torch.manual_seed(0)
    fe = build_feature_extractor("resnet18", None, layer="layer2", input_size=32)
    assert list(fe.stages()) == ["stem", "layer1", "layer2"]
    model = fe.body
    ref = torchvision.models.resnet18().eval()
    ref.load_state_dict(fe.body.state_dict(), strict=False)  # layer3/4 and fc are cut off
    x = torch.rand(2, 3, 32, 32) * 255
    with torch.no_grad():
        plain = nn.Sequential(ref.conv1, ref.bn1, ref.relu, ref.maxpool, ref.layer1,
                              ref.layer2)(fe.preprocess(x))
        torch.testing.assert_close(fe._features_map(x), plain)
    seen = []
    model.get_submodule("taps.layer1").register_forward_hook(lambda m, i, o: seen.append(o))
    fe.train()  # the train graph has the taps too
    fe(x)
    assert len(seen) == 1 and seen[0].shape == (2, 64, 8, 8)
    assert not any("taps" in k for k in fe.state_dict())
    assert np.isclose(sum(p.numel() for p in fe.parameters()),
                      sum(p.numel() for n, p in fe.named_parameters() if "taps" not in n))
