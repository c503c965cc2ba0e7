"""sklearn_dl.inspection: receptive fields, attribution maps, filters, activations, top-k.

The attribution tests use a synthetic problem where the class is decided by a bright 4x4
square at a known position (every image also holds bright bars as distractors): a trained
model's maps must point at the square, an untrained one's must not.
"""

import sys

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from sklearn_dl import (
    CNNClassifier, CNNRegressor, PretrainedFeatureTransformer, TransferLearningClassifier,
)
from sklearn_dl.bodies import make_cnn
from sklearn_dl.bodies.pretrained import build_feature_extractor
from sklearn_dl.inspection import (
    activation_maps, attribution_maps, filter_weights, list_layers, plot_activation_maps,
    plot_attribution_maps, plot_filters, plot_top_activating, receptive_field, top_activating,
)

matplotlib.use("Agg")


# --------------------------------------------------------------------------- data


def _square_images(n, size=20, seed=0):
    """Noise, one or two bright bars (distractors); class 1 adds a bright 4x4 square."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 0.2, (n, size, size)).astype(np.float32)
    y = rng.randint(0, 2, n)
    boxes = np.zeros((n, 4), int)
    for i in range(n):
        free = np.ones((size, size), bool)

        def place(h, w):
            while True:
                t, lft = rng.randint(0, size - h + 1), rng.randint(0, size - w + 1)
                if free[max(t - 1, 0):t + h + 1, max(lft - 1, 0):lft + w + 1].all():
                    free[t:t + h, lft:lft + w] = False
                    X[i, t:t + h, lft:lft + w] = 1.0
                    return t, lft

        for _ in range(1 if y[i] else 2):
            place(*((2, 8) if rng.rand() < 0.5 else (8, 2)))
        if y[i]:
            t, lft = place(4, 4)
            boxes[i] = (t, lft, t + 4, lft + 4)
    return X, y, boxes


SQUARE_NET = dict(architecture="vgg", filters=(8, 16), global_pool=True, dense_units=(),
                  batch_size=32)


@pytest.fixture(scope="module")
def squares():
    X, y, _ = _square_images(300)
    Xt, yt, bt = _square_images(100, seed=1)
    trained = CNNClassifier(**SQUARE_NET, lr=3e-3, max_epochs=10, random_state=0).fit(X, y)
    untrained = CNNClassifier(**SQUARE_NET, max_epochs=1, lr=1e-9,
                              random_state=0).fit(X[:20], y[:20])
    sel = yt == 1
    return dict(X=X, y=y, trained=trained, untrained=untrained, X1=Xt[sel], boxes1=bt[sel],
                Xt=Xt, yt=yt)


def _hit_rate(maps, boxes, tol=0):
    """Share of maps whose maximum lies in the square (grown by ``tol`` pixels)."""
    hits = []
    for m, (t, lft, b, r) in zip(maps, boxes):
        i, j = np.unravel_index(np.argmax(m), m.shape)
        hits.append(t - tol <= i < b + tol and lft - tol <= j < r + tol)
    return float(np.mean(hits))


# --------------------------------------------------------------------------- receptive field


def test_receptive_field_of_the_course_exercise():
    two = nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(2)])
    three = nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(3)])
    seven = nn.Sequential(nn.Conv2d(1, 1, 7, bias=False))
    assert receptive_field(two, (1, 9, 9))["receptive_field"].tolist() == [3, 5]
    t3, t7 = receptive_field(three, (1, 9, 9)), receptive_field(seven, (1, 9, 9))
    assert t3["receptive_field"].tolist()[-1] == t7["receptive_field"].tolist()[-1] == 7
    assert t3["weights"].sum() == 27 and t7["weights"].sum() == 49
    assert t3["output_size"].tolist() == ["7x7", "5x5", "3x3"]
    assert t3["jump"].tolist() == [1, 1, 1]


def test_an_unknown_resize_warns_at_the_users_line():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2), nn.Conv2d(2, 2, 3))
    with pytest.warns(UserWarning, match="treated as resizes") as record:
        receptive_field(net, (1, 9, 9))
    assert record[0].filename == __file__


def test_receptive_field_of_lenet5_and_the_presets():
    lenet, _ = make_cnn((1, 32, 32), "lenet5")
    table = receptive_field(lenet, (1, 32, 32)).set_index("layer")
    # conv 5 -> 5, pool 2 -> 6 (jump 2), conv 5 -> 6 + 4 * 2 = 14, pool -> 16 (jump 4)
    assert table.loc["features.block1.conv1", "receptive_field"] == 5
    assert table.loc["features.block1.pool", ["receptive_field", "jump"]].tolist() == [6, 2]
    assert table.loc["features.block2.conv1", "receptive_field"] == 14
    assert table.loc["features.block2.pool", ["receptive_field", "jump"]].tolist() == [16, 4]
    assert table.loc["features.block2.pool", "output_size"] == "5x5"
    assert table.loc["dense.1", "receptive_field"] == 32  # past flattening: the whole image
    vgg, _ = make_cnn((3, 32, 32), "vgg")
    pools = receptive_field(vgg, (3, 32, 32)).query("type == 'MaxPool2d'")
    assert pools["receptive_field"].tolist() == [6, 16, 36]


def test_receptive_field_of_vgg16_and_resnet18():
    table = receptive_field("vgg16").set_index("layer")
    pools = ["features.4", "features.9", "features.16", "features.23", "features.30"]
    assert table.loc[pools, "receptive_field"].tolist() == [6, 16, 44, 100, 212]
    assert table.loc[pools, "jump"].tolist() == [2, 4, 8, 16, 32]
    assert table.loc["features.28", "receptive_field"] == 196  # conv5_3
    assert table.loc["features.28", "weights"] == 512 * 512 * 9
    # residual branches: the field follows the 3x3 path, not the 1x1 shortcut
    assert receptive_field("resnet18").set_index("layer").loc[
        "layer4.1.conv2", "receptive_field"] == 435


def test_receptive_field_matches_the_gradient_support():
    # With positive weights, average pooling and no activation, the gradient of the centre
    # unit with respect to the input is non-zero exactly on its receptive field.
    body, _ = make_cnn((1, 40, 40), "vgg", filters=(2, 2), pooling="avg",
                       activation=nn.Identity)
    for p in body.parameters():
        nn.init.constant_(p, 0.1)
    table = receptive_field(body, (1, 40, 40)).set_index("layer")
    x = torch.zeros(1, 1, 40, 40, requires_grad=True)
    out = body.features(x)
    out[0, 0, 5, 5].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    side = table.loc["features.block2.pool", "receptive_field"]
    assert rows.max() - rows.min() + 1 == cols.max() - cols.min() + 1 == side == 16
    start, jump = table.loc["features.block2.pool", ["start", "jump"]]
    assert (rows.min() + rows.max()) / 2 == pytest.approx(start + 5 * jump)


def test_receptive_field_through_a_resize_is_in_original_pixels():
    fe = build_feature_extractor("vgg16", None, layer="block2", input_size=64)
    table = receptive_field(fe, (3, 32, 32)).set_index("layer")
    assert table.loc["preprocess", "type"] == "Preprocess"
    # 16 px of the 64 px input: 1 + 15 * 0.5 original pixels, neighbours 4 / 2 px apart
    assert table.loc["body.features.9", "receptive_field"] == 8.5
    assert table.loc["body.features.9", "jump"] == 2


def test_receptive_field_needs_a_shape_for_a_module():
    with pytest.raises(ValueError, match="input_shape"):
        receptive_field(nn.Conv2d(1, 1, 3))


# --------------------------------------------------------------------------- attribution


def test_gradcam_points_at_the_square_and_an_untrained_model_does_not(squares):
    X1, boxes = squares["X1"], squares["boxes1"]
    trained = attribution_maps(squares["trained"], X1, target=1)
    assert trained.shape == X1.shape and trained.min() >= 0 and trained.max() <= 1
    untrained = attribution_maps(squares["untrained"], X1, target=1)
    # Measured (seed 0): 1.0 / 1.0 for the trained model at block2 (6x6 map, 1 px
    # tolerance) and block1, 0.43 for the untrained one.
    assert _hit_rate(trained, boxes, tol=1) >= 0.9
    assert _hit_rate(attribution_maps(squares["trained"], X1, target=1, layer="block1"),
                     boxes) >= 0.9
    assert _hit_rate(untrained, boxes, tol=1) <= 0.55
    plus = attribution_maps(squares["trained"], X1, method="gradcam++", target=1)
    assert _hit_rate(plus, boxes, tol=1) >= 0.8


def test_occlusion_hurts_the_class_score_most_on_the_square(squares):
    X1, boxes = squares["X1"], squares["boxes1"]
    maps = attribution_maps(squares["trained"], X1, method="occlusion", target=1, window=4,
                            stride=2, output="probability")
    rnd = attribution_maps(squares["untrained"], X1, method="occlusion", target=1, window=4,
                           stride=2, output="probability")
    # Measured: 0.96 trained, 0.62 untrained (1 px tolerance).
    assert _hit_rate(maps, boxes, tol=1) >= 0.85
    assert _hit_rate(maps, boxes, tol=1) > _hit_rate(rnd, boxes, tol=1) + 0.2
    assert maps.max() > 0.1  # covering the square removes a good part of the probability


def test_integrated_gradients_are_complete(squares):
    clf, X = squares["trained"], squares["X1"][:4]
    maps = attribution_maps(clf, X, method="integrated_gradients", target=1, n_steps=64)
    logit = np.log(clf.predict_proba(X)[:, 1]) - np.log(clf.predict_proba(X)[:, 0])
    base = np.zeros_like(X[:1])
    logit0 = np.log(clf.predict_proba(base)[:, 1]) - np.log(clf.predict_proba(base)[:, 0])
    # for a binary classifier the class-1 logit score is the log-odds
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), logit - logit0, rtol=0.05, atol=0.05)
    sal = attribution_maps(clf, X, method="saliency", target=1)
    assert sal.shape == X.shape and sal.min() >= 0


def test_default_target_is_the_predicted_class(squares):
    clf, X = squares["trained"], squares["Xt"][:10]
    pred = clf.predict(X)
    np.testing.assert_allclose(attribution_maps(clf, X), attribution_maps(clf, X, target=pred),
                               atol=1e-6)
    with pytest.raises(ValueError, match=r"classes are \[0, 1\]"):
        attribution_maps(clf, X, target=7)
    with pytest.raises(ValueError, match="method"):
        attribution_maps(clf, X, method="lime")
    with pytest.raises(ValueError, match="output='mean'"):
        attribution_maps(clf, X, output="mean")


def test_maps_leave_the_estimator_untouched(squares):
    clf, X = squares["trained"], squares["Xt"][:5]
    before = clf.predict_proba(X)
    attribution_maps(clf, X, method="integrated_gradients", n_steps=4)
    params = list(clf.net_.module_.parameters())
    assert all(p.grad is None for p in params) and all(p.requires_grad for p in params)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


class _Ensemble:
    """Stand-in for a deep ensemble: only ``estimators_`` and ``classes_``."""

    def __init__(self, members):
        self.estimators_ = members
        self.classes_ = members[0].classes_


def test_ensembles_average_their_members_maps(squares):
    second = CNNClassifier(**SQUARE_NET, lr=3e-3, max_epochs=10, random_state=1).fit(
        squares["X"], squares["y"])
    members = [squares["trained"], second]
    ens, X = _Ensemble(members), squares["Xt"][:12]
    np.testing.assert_allclose(
        attribution_maps(ens, X, target=1),
        np.mean([attribution_maps(m, X, target=1) for m in members], axis=0), atol=1e-6)
    mean_proba = np.mean([m.predict_proba(X) for m in members], axis=0)
    np.testing.assert_allclose(
        attribution_maps(ens, X, method="saliency"),
        np.mean([attribution_maps(m, X, method="saliency", target=mean_proba.argmax(1))
                 for m in members], axis=0), atol=1e-6)
    # Measured: 0.89 (the members alone: 1.0 and 0.81)
    assert _hit_rate(attribution_maps(ens, squares["X1"], target=1), squares["boxes1"],
                     tol=1) >= 0.8
    with pytest.raises(ValueError, match="estimators_"):
        activation_maps(ens, X)


def test_regressor_maps_explain_the_predicted_mean():
    rng = np.random.RandomState(0)
    X = (rng.uniform(size=(80, 12, 12)) > 0.9).astype(np.float32) * 255
    y = X.sum(axis=(1, 2)) / 255 + rng.normal(0, 0.1, 80)
    reg = CNNRegressor(architecture="vgg", filters=(4,), global_pool=True, max_epochs=3,
                       random_state=0).fit(X, y)
    maps = attribution_maps(reg, X[:3], method="integrated_gradients", n_steps=64)
    # completeness in the target's units (the mean is mapped back from the standardised y)
    expected = reg.predict(X[:3]) - reg.predict(np.zeros_like(X[:1]))
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), expected, rtol=0.05, atol=0.02)
    assert attribution_maps(reg, X[:3]).shape == (3, 12, 12)


def test_transfer_model_maps_on_a_frozen_backbone():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (24, 16, 16, 3)).astype(np.uint8)
    y = rng.randint(0, 3, 24)
    clf = TransferLearningClassifier("resnet18", weights=None, input_size=64, max_epochs=1,
                                     random_state=0).fit(X, y)
    assert list_layers(clf) == ["stem", "layer1", "layer2", "layer3", "layer4"]
    for layer in ("layer3", None, "layer4.1.conv2"):
        maps = attribution_maps(clf, X[:4], layer=layer)  # in the images' size, not 64
        assert maps.shape == (4, 16, 16) and np.isfinite(maps).all() and maps.max() > 0
    assert all(p.grad is None for p in clf.net_.module_.parameters())
    small = clf.set_params(input_size=32).fit(X, y)  # layer4 is 1x1 at 32 px
    with pytest.warns(UserWarning, match="1x1 maps") as record:
        attribution_maps(small, X[:2])
    assert record[0].filename == __file__  # the user's line, whatever the call depth


def test_unknown_layers_list_the_valid_ones(squares):
    with pytest.raises(ValueError) as info:
        attribution_maps(squares["trained"], squares["Xt"][:2], layer="block9")
    msg = str(info.value)
    assert "'block9' does not exist" in msg and "['block1', 'block2']" in msg
    assert "body.features.block1.conv1" in msg and "list_layers" in msg
    with pytest.raises(ValueError, match="ambiguous"):
        activation_maps(squares["trained"], squares["Xt"][:2], layer="conv1")
    with pytest.raises(ValueError, match="spatial maps"):
        attribution_maps(squares["trained"], squares["Xt"][:2], layer="head")


def test_missing_optional_packages_name_the_extra(squares, monkeypatch):
    monkeypatch.setitem(sys.modules, "pytorch_grad_cam", None)
    with pytest.raises(ImportError, match=r"sklearn_dl\[inspection\]"):
        attribution_maps(squares["trained"], squares["Xt"][:2])
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ImportError, match=r"sklearn_dl\[inspection\]"):
        attribution_maps(squares["trained"], squares["Xt"][:2], method="saliency")


# --------------------------------------------------------------------------- looking inside


def _stripes(n, size=24, seed=0):
    """Vertical (class 1) or horizontal (class 0) stripes of random width, with noise."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = np.empty((n, size, size), np.float32)
    for i in range(n):
        period = rng.randint(4, 9)
        line = (((np.arange(size) + rng.randint(period)) // (period // 2)) % 2)
        img = np.tile(line.astype(np.float32), (size, 1))  # constant down the columns
        X[i] = img if y[i] else img.T
    return X + rng.normal(0, 0.1, X.shape).astype(np.float32), y


def test_the_edge_lover_learns_an_edge_detector():
    X, y = _stripes(400)
    Xt, yt = _stripes(200, seed=1)
    net = nn.Sequential(nn.Conv2d(1, 1, 5), nn.AdaptiveMaxPool2d(1), nn.Flatten())
    clf = CNNClassifier(architecture=net, max_epochs=20, lr=0.05, random_state=0).fit(X, y)
    assert clf.score(Xt, yt) >= 0.98
    kernel = filter_weights(clf)[0, 0]
    sobel_x = np.outer([1, 4, 6, 4, 1], [-1, -2, 0, 2, 1])  # responds to vertical edges
    # a positive head weight means "a strong response -> class 1 (vertical stripes)"
    right, wrong = (sobel_x, sobel_x.T) if clf.net_.module_.head.weight.item() > 0 else \
        (sobel_x.T, sobel_x)

    def corr(a, b):
        return abs(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    # Measured: |r| = 0.73 with the right Sobel, 0.00 with the other (7 of 8 seeds > 0.65).
    assert corr(kernel, right) > 0.6 and corr(kernel, wrong) < 0.2
    assert filter_weights(clf, layer="0").shape == (1, 1, 5, 5)
    with pytest.raises(ValueError, match="not a Conv2d"):
        filter_weights(clf, layer="1")


def test_activation_maps_of_the_transformer_are_its_features():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, (5, 20, 20, 3)).astype(np.uint8)
    tr = PretrainedFeatureTransformer("resnet18", weights=None, layer="layer3", input_size=32)
    maps = activation_maps(tr, X)  # default layer: the transformer's own
    assert maps.shape == (5, 256, 2, 2)
    np.testing.assert_allclose(maps.mean(axis=(2, 3)), tr.fit_transform(X), rtol=1e-4,
                               atol=1e-5)
    assert activation_maps(tr, X, layer="layer1").shape == (5, 64, 8, 8)
    assert list_layers(tr) == ["stem", "layer1", "layer2", "layer3"]
    assert "body.layer2.0.conv1" in list_layers(tr, raw=True)


def test_top_activating_finds_the_brightest_dots_and_crops_their_field():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 30, (30, 16, 16, 3)).astype(np.uint8)
    where = rng.randint(3, 13, (30, 2))
    brightness = rng.permutation(30) * 7 + 40
    for i, (r, c) in enumerate(where):
        X[i, r, c] = brightness[i]
    conv = nn.Conv2d(3, 1, 3, padding=1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    with torch.no_grad():
        conv.weight[0, :, 1, 1] = 1.0  # the channel is the pixel's brightness
    net = nn.Sequential(conv, nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, padding=1))
    with torch.no_grad():
        net[2].weight.fill_(0.0)
        net[2].weight[0, 0, 1, 1] = 1.0
        net[2].bias.zero_()
    top = top_activating(net, X, channel=0, layer="2", k=5)
    np.testing.assert_array_equal(top.indices, np.argsort(-brightness)[:5])
    assert top.receptive_field == (8, 8)
    for i, (t, lft, b, r), patch in zip(top.indices, top.boxes, top.patches):
        assert t <= where[i, 0] < b and lft <= where[i, 1] < r  # the dot is in the crop
        assert patch.shape == (b - t, r - lft, 3) and patch.dtype == np.uint8  # X's layout
        assert patch.max() == brightness[i]
    whole = top_activating(net, X, channel=0, layer="2", k=2, crop=False)
    assert whole.patches[0].shape == (16, 16, 3)
    with pytest.raises(ValueError, match="channel"):
        top_activating(net, X, channel=3, layer="2")


def test_presets_name_their_stages(squares):
    clf = squares["trained"]
    assert list_layers(clf) == ["block1", "block2"]
    assert activation_maps(clf, squares["Xt"][:3], layer="block1").shape == (3, 8, 10, 10)
    resnet, _ = make_cnn((1, 16, 16), "resnet", filters=(4, 8))
    assert list(resnet.stages()) == ["stem", "block1", "block2"]
    assert activation_maps(resnet, np.zeros((2, 1, 16, 16), np.float32)).shape == (2, 8, 8, 8)


def test_plots(squares):
    clf, X, y = squares["trained"], squares["Xt"][:6], squares["yt"][:6]
    fig = plot_attribution_maps(clf, X, y, class_names={0: "bars", 1: "square"})
    assert len(fig.axes) == 6
    assert fig.axes[0].get_title().startswith("true: ") and "pred: " in fig.axes[0].get_title()
    assert len(plot_filters(clf).axes) == 8
    assert len(plot_activation_maps(clf, X, layer="block1").axes) == 9
    assert len(plot_top_activating(clf, squares["Xt"], 0, layer="block1", k=4).axes) == 4
    maps = attribution_maps(clf, X, method="integrated_gradients", n_steps=8)
    assert len(plot_attribution_maps(clf, X, maps=maps).axes) == 6
    matplotlib.pyplot.close("all")
