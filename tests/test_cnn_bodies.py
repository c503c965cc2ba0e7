"""Tests of sklearn_dl.bodies.cnn: presets, overrides, custom modules, residual blocks."""

import pickle

import pytest
import torch
from torch import nn

from sklearn_dl.bodies import cnn
from sklearn_dl.bodies.cnn import CNN_ARCHITECTURES, ResidualBlock, make_cnn

PRESETS = sorted(CNN_ARCHITECTURES)


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("architecture", PRESETS)
@pytest.mark.parametrize("input_shape", [(1, 28, 28), (3, 32, 32)])
def test_preset_forward_shape(architecture, input_shape):
    torch.manual_seed(0)
    body, n_features = make_cnn(input_shape, architecture)
    out = body(torch.rand(3, *input_shape))
    assert out.shape == (3, n_features)
    out.sum().backward()  # trainable end to end
    assert all(p.grad is not None for p in body.parameters())


def test_parameter_counts_match_the_reference_nets():
    # Keras' MNIST example (conv32-conv64-pool-dense128-dense10): 1,199,882 parameters
    body, n = make_cnn((1, 28, 28), "small")
    assert _n_params(body) + (n * 10 + 10) == 1_199_882
    # LeNet-5 on 32x32 (fully connected C3, ten outputs): 61,706 parameters
    body, n = make_cnn((1, 32, 32), "lenet5")
    assert _n_params(body) + (n * 10 + 10) == 61_706
    assert 2e5 < _n_params(make_cnn((3, 32, 32), "vgg")[0]) < 2e6
    assert 1e5 < _n_params(make_cnn((3, 32, 32), "resnet")[0]) < 2e6


def test_global_pool_accepts_any_size():
    body, n = make_cnn((3, 32, 32), "vgg", global_pool=True)
    assert n == 128
    for size in [(32, 32), (40, 56)]:
        assert body(torch.rand(2, 3, *size)).shape == (2, n)
    flat_body, _ = make_cnn((3, 32, 32), "vgg")
    with pytest.raises(RuntimeError):  # flattening ties the body to its input size
        flat_body(torch.rand(2, 3, 40, 56))
    resnet, n = make_cnn((1, 28, 28), "resnet")  # global pooling is resnet's default
    assert resnet(torch.rand(2, 1, 17, 23)).shape == (2, n)


def test_overrides_change_the_network():
    body, n = make_cnn((1, 16, 16), "small", filters=(4, 8), dense_units=(),
                       pooling="avg", activation="gelu", batchnorm=True, dropout=0.3,
                       kernel_size=5)
    convs = [m for m in body.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8]
    assert all(c.kernel_size == (5, 5) for c in convs)
    assert n == 8 * 4 * 4  # 16 -> 12 -> 8 -> pool 4, no dense layers
    kinds = {type(m) for m in body.modules()}
    assert {nn.AvgPool2d, nn.GELU, nn.BatchNorm2d, nn.Dropout} <= kinds
    assert nn.MaxPool2d not in kinds and nn.ReLU not in kinds
    plain, _ = make_cnn((1, 16, 16), "small")
    assert not {nn.BatchNorm2d, nn.Dropout} & {type(m) for m in plain.modules()}
    body, n = make_cnn((1, 28, 28), "lenet5", dense_units=(50,))
    assert n == 50
    body, _ = make_cnn((1, 16, 16), "vgg", filters=(4,), activation=nn.SiLU)
    assert nn.SiLU in {type(m) for m in body.modules()}
    resnet, n = make_cnn((3, 32, 32), "resnet", filters=(8, 16), batchnorm=False)
    assert n == 16 and nn.BatchNorm2d not in {type(m) for m in resnet.modules()}


@pytest.mark.parametrize("kwargs, match", [
    ({"architecture": "alexnet"}, "Unknown architecture"),
    ({"activation": "swish"}, "Unknown activation"),
    ({"pooling": "median"}, "pooling must be"),
    ({"filters": ()}, "non-empty"),
    ({"filters": (8, 0)}, "positive"),
    ({"dense_units": (-1,)}, "positive"),
    ({"dropout": 1.0}, "dropout"),
    ({"kernel_size": 0}, "kernel_size"),
    ({"architecture": "resnet", "kernel_size": 4}, "odd"),
])
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_cnn((1, 28, 28), **kwargs)


@pytest.mark.parametrize("shape", [(28, 28), (0, 28, 28), (1, 28, -2)])
def test_invalid_input_shape(shape):
    with pytest.raises(ValueError, match="input_shape"):
        make_cnn(shape)


@pytest.mark.parametrize("architecture, shape", [("lenet5", (1, 12, 12)),
                                                  ("small", (1, 5, 5)),
                                                  ("vgg", (3, 4, 4))])
def test_too_small_images(architecture, shape):
    with pytest.raises(ValueError, match="too small") as info:
        make_cnn(shape, architecture)
    assert str(shape) in str(info.value)


def test_custom_module_and_callable():
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    body, n = make_cnn((3, 10, 12), module)
    bn = module[1]
    assert torch.equal(bn.running_mean, torch.zeros(4))  # dry run left BN untouched
    assert bn.num_batches_tracked == 0 and module.training
    assert n == 4 * 8 * 10
    assert body(torch.rand(2, 3, 10, 12)).shape == (2, n)  # a Flatten was appended

    def factory(input_shape):
        c, h, w = input_shape
        return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 7))

    body, n = make_cnn((1, 5, 5), factory)
    assert n == 7 and body(torch.rand(4, 1, 5, 5)).shape == (4, 7)
    with pytest.raises(ValueError, match="only apply to preset"):
        make_cnn((1, 5, 5), factory, filters=(8,))
    with pytest.raises(TypeError, match="nn.Module"):
        make_cnn((1, 5, 5), lambda shape: "not a module")
    with pytest.raises(ValueError, match="failed on a zero input"):
        make_cnn((1, 5, 5), nn.Linear(3, 2))
    with pytest.raises(TypeError, match="architecture must be"):
        make_cnn((1, 5, 5), 42)


def test_resnet_has_skip_connections():
    torch.manual_seed(0)
    body, _ = make_cnn((3, 16, 16), "resnet", filters=(8, 16))
    blocks = [m for m in body.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 2
    identity_block, projection_block = blocks
    assert isinstance(identity_block.shortcut, nn.Identity)
    assert not isinstance(projection_block.shortcut, nn.Identity)
    body.eval()
    for block in blocks:
        last_bn = block.branch[-1]
        with torch.no_grad():  # switch the residual branch off
            last_bn.weight.zero_()
            last_bn.bias.zero_()
    x = torch.randn(4, 8, 16, 16)
    with torch.no_grad():
        # a block without its branch reduces to act(shortcut(x)); without a skip
        # connection it would output act(0) = 0
        assert torch.allclose(identity_block(x), torch.relu(x))
        assert torch.allclose(projection_block(x), torch.relu(projection_block.shortcut(x)))
        assert identity_block(x).abs().sum() > 0


@pytest.mark.parametrize("architecture", PRESETS)
def test_bodies_pickle(architecture):
    body, n = make_cnn((1, 28, 28), architecture)
    clone = pickle.loads(pickle.dumps(body))
    x = torch.rand(2, 1, 28, 28)
    body.eval()
    clone.eval()
    assert torch.equal(body(x), clone(x))


def test_registry_accepts_a_new_preset(monkeypatch):
    def tiny(input_shape, cfg):
        stage = cnn._Stage(input_shape, "tiny")
        stage.conv(cfg["filters"][0], cfg["kernel_size"], cfg)
        return cnn._dense_tail(stage, cfg)

    monkeypatch.setitem(CNN_ARCHITECTURES, "tiny",
                        (tiny, {**cnn._BASE, "filters": (2,), "dense_units": (), "global_pool": True}))
    body, n = make_cnn((1, 9, 9), "tiny")
    assert n == 2 and body(torch.rand(1, 1, 9, 9)).shape == (1, 2)


@pytest.mark.parametrize("architecture, stages", [
    ("small", ["block1"]), ("lenet5", ["block1", "block2"]),
    ("vgg", ["block1", "block2", "block3"]), ("resnet", ["stem", "block1", "block2", "block3"]),
])
def test_presets_expose_named_stages(architecture, stages):
    body, n = make_cnn((3, 32, 32), architecture)
    assert isinstance(body, cnn.CNNBody) and list(body.stages()) == stages
    assert body.default_layer == stages[-1]
    x = torch.rand(2, 3, 32, 32)
    maps = body.features(x)
    assert maps.ndim == 4  # the spatial part ends in feature maps, the dense part reads them
    torch.testing.assert_close(body.dense(maps), body(x))
    last = body.get_submodule(body.stages()[stages[-1]])
    assert last(body.features[:-1](x)).shape == maps.shape
