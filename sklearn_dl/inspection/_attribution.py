"""Attribution maps: which pixels a model's score depends on.

Grad-CAM and Grad-CAM++ come from ``grad-cam`` (``pytorch_grad_cam``), gradient saliency,
integrated gradients and occlusion from ``captum``; this module only feeds them the
estimator's network, the score the user asked for and images as the estimator reads them.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from .._warn import warn
from ._model import as_models, import_optional, resolve_targets

METHODS = ("gradcam", "gradcam++", "saliency", "integrated_gradients", "occlusion")


@contextlib.contextmanager
def _eval_without_param_grads(network):
    """Eval mode, and no parameter gradients: the maps need gradients with respect to
    activations and inputs only, and the estimator's parameters must not keep ``.grad``."""
    was_training = network.training
    flags = [(p, p.requires_grad) for p in network.parameters()]
    network.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        network.train(was_training)


def layer_output(model, images, path):
    """Output of the module at ``path`` for ``images`` (no gradients), on the CPU."""
    module = model.network.get_submodule(path)
    seen = []
    handle = module.register_forward_hook(lambda m, i, o: seen.append(o.detach().cpu()))
    try:
        with _eval_without_param_grads(model.network), torch.no_grad():
            model.network(images.to(model.device))
    finally:
        handle.remove()
    if not seen or not torch.is_tensor(seen[-1]):
        raise ValueError(f"Layer {path!r} of {model.name} returned no tensor.")
    return seen[-1]


def _check_spatial(model, images, layer):
    name, path, module = model.resolve_layer(layer, images[:1])
    shape = tuple(layer_output(model, images[:1], path).shape)
    if len(shape) != 4:
        raise ValueError(f"Grad-CAM needs a layer with spatial maps (n, C, h, w); layer "
                         f"{name!r} ({path}) of {model.name} outputs shape {shape}. Choose a "
                         f"convolutional stage: {list(model.stages) or 'a Conv2d module'}.")
    if shape[2] * shape[3] == 1:
        warn(f"Layer {name!r} of {model.name} has 1x1 maps for these images: Grad-CAM "
             "cannot localise anything there (the map is uniform, shown as zeros). Choose "
             "an earlier stage or larger images (input_size=).", UserWarning)
    return module


def _gradcam(model, images, targets, layer, output, plus_plus, batch_size):
    cams = import_optional("pytorch_grad_cam", "grad-cam")
    model_targets = import_optional("pytorch_grad_cam.utils.model_targets", "grad-cam")
    module = _check_spatial(model, images, layer)
    scores = model.scores(output)
    out = []
    with _eval_without_param_grads(model.network):
        cam = (cams.GradCAMPlusPlus if plus_plus else cams.GradCAM)(scores, [module])
        try:
            for i in range(0, len(images), batch_size):
                # the input carries the gradient: a frozen backbone has no parameter that
                # requires grad, and the activations must still get one
                x = images[i:i + batch_size].to(model.device).requires_grad_(True)
                t = [model_targets.ClassifierOutputTarget(int(c))
                     for c in targets[i:i + batch_size]]
                out.append(cam(input_tensor=x, targets=t))
        finally:
            cam.activations_and_grads.release()
    return np.concatenate(out).astype(np.float32)


def _captum(model, images, targets, method, output, baseline, n_steps, window, stride,
            batch_size):
    attr = import_optional("captum.attr", "captum")
    scores = model.scores(output)
    c, h, w = images.shape[1:]
    out = []
    with _eval_without_param_grads(model.network):
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size].to(model.device).requires_grad_(True)
            t = torch.as_tensor(targets[i:i + batch_size], device=model.device)
            base = torch.full_like(x, float(baseline)).detach()
            if method == "saliency":
                a = attr.Saliency(scores).attribute(x, target=t, abs=True).amax(dim=1)
            elif method == "integrated_gradients":
                a = attr.IntegratedGradients(scores).attribute(
                    x, baselines=base, target=t, n_steps=n_steps,
                    internal_batch_size=batch_size).sum(dim=1)
            else:
                a = attr.Occlusion(scores).attribute(
                    x, sliding_window_shapes=(c, window, window), strides=(c, stride, stride),
                    baselines=base, target=t, perturbations_per_eval=batch_size).mean(dim=1)
            out.append(a.detach().cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def attribution_maps(estimator, X, *, method="gradcam", target=None, layer=None, output=None,
                     baseline=0.0, n_steps=32, window=None, stride=None, batch_size=16):
    """Per-pixel importance of each image for a chosen output of the model.

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer, ensemble or nn.Module
        ``CNNClassifier``, ``CNNRegressor``, ``TransferLearningClassifier``, an object with
        ``estimators_`` (the members' maps are averaged) or a module taking ``(n, C, H, W)``.
    X : images
        As the estimator's ``predict`` accepts them.
    method : {"gradcam", "gradcam++", "saliency", "integrated_gradients", "occlusion"}
        * ``"gradcam"`` / ``"gradcam++"``: class activation map of ``layer`` (Selvaraju et
          al. 2017; Chattopadhay et al. 2018) from ``grad-cam``: ReLU of the
          gradient-weighted channel sum, upsampled to the image and scaled to [0, 1] per
          image;
        * ``"saliency"``: ``max_c |d score / d pixel|`` (Simonyan et al. 2014), captum;
        * ``"integrated_gradients"``: gradients integrated from ``baseline`` to the image
          (Sundararajan et al. 2017), summed over channels; the maps of one image sum to
          about ``score(image) - score(baseline)``;
        * ``"occlusion"``: how much the score drops when a ``window`` x ``window`` patch is
          set to ``baseline`` (Zeiler & Fergus 2014), averaged over the windows covering
          each pixel.
    target : label, array of labels, int or None
        Classifiers: the class to explain (a label of ``classes_``, or one per image);
        default the predicted class. Regressors: the output column (default 0).
        Transformers and modules: the output index (default the largest output).
    layer : str, optional
        Grad-CAM's layer: a stage (``list_layers(estimator)``, e.g. ``"block2"``,
        ``"layer4"``) or a module path; default the last convolutional stage.
    output : {None, "logit", "probability", "mean", "raw"}
        The score explained. Classifiers: ``"logit"`` (default, the score before the
        softmax as in Grad-CAM; a binary classifier's classes get the log-odds ``-l`` and
        ``l``) or ``"probability"``; regressors: ``"mean"``, the predicted mean in the
        target's units; transformers and modules: ``"raw"``.
    baseline : float, default=0.0
        Reference pixel value (in the images' own units: 0 is black) for integrated
        gradients and occlusion.
    n_steps : int, default=32
        Integration steps of integrated gradients.
    window, stride : int, optional
        Occlusion patch side and step; default ``max(2, min(H, W) // 8)`` and half of it.
    batch_size : int, default=16

    Returns
    -------
    maps : ndarray of shape (n_images, H, W), float32
        In the images' size (as the estimator reads them); large values = important.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import CNNClassifier
    >>> from sklearn_dl.inspection import attribution_maps
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(40, 12, 12)).astype(np.float32)
    >>> y = (X[:, :6].mean(axis=(1, 2)) > X[:, 6:].mean(axis=(1, 2))).astype(int)
    >>> clf = CNNClassifier(architecture="vgg", filters=(4,), max_epochs=2,
    ...                     random_state=0).fit(X, y)
    >>> attribution_maps(clf, X[:3], method="gradcam").shape
    (3, 12, 12)
    >>> attribution_maps(clf, X[:3], method="occlusion", window=3).shape
    (3, 12, 12)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    for name, value in (("n_steps", n_steps), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    models = as_models(estimator)
    for m in models:
        output = m.check_output(output)
    images = [m.images(X) for m in models]
    targets = resolve_targets(models, images, target, output)
    h, w = images[0].shape[-2:]
    if method == "occlusion":
        window = max(2, min(h, w) // 8) if window is None else window
        stride = max(1, window // 2) if stride is None else stride
        for name, value in (("window", window), ("stride", stride)):
            if not isinstance(value, (int, np.integer)) or not 1 <= value <= min(h, w):
                raise ValueError(f"{name} must be an int in [1, {min(h, w)}]; got {value!r}.")
    maps = []
    for m, im in zip(models, images):
        if method in ("gradcam", "gradcam++"):
            maps.append(_gradcam(m, im, targets, layer, output, method == "gradcam++",
                                 batch_size))
        else:
            maps.append(_captum(m, im, targets, method, output, baseline, n_steps, window,
                                stride, batch_size))
    return np.mean(maps, axis=0) if len(maps) > 1 else maps[0]
