"""What is inspected: one network, how images reach it, its named layers and its scores.

Every public function of :mod:`sklearn_dl.inspection` accepts a fitted image estimator
(``CNNClassifier``, ``CNNRegressor``, ``TransferLearningClassifier``), a
``PretrainedFeatureTransformer``, an ensemble (any object with a list ``estimators_`` of
those: the members' results are averaged) or a plain ``nn.Module``. :func:`as_models` turns
each into :class:`_Model` objects with one interface.
"""

from __future__ import annotations

import importlib

import numpy as np
import torch
from torch import nn

from ..images import _resolve, check_image_shape, is_path_input, to_image_tensor

INSPECTION_EXTRA = 'pip install "sklearn_dl[inspection]"'

#: the scores a model's output can be turned into, per kind of model
OUTPUTS = {"classifier": ("logit", "probability"), "regressor": ("mean",),
           "transformer": ("raw",), "module": ("raw",)}


def import_optional(module, package):
    """Import ``module`` or raise an ImportError naming the ``inspection`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"This function of sklearn_dl.inspection needs the package "
                          f"{package!r}: {INSPECTION_EXTRA}") from exc


class Scores(nn.Module):
    """``images -> (n, K)`` scores: the network followed by the output the user cares about.

    ``"logit"``: class logits; a Bernoulli network's single logit ``l`` becomes ``(-l, l)``,
    the log-odds of each class against the other, so both classes have a score whose
    gradient is not zero. ``"probability"``: class probabilities. ``"mean"``: the predicted
    mean in the target's units. ``"raw"``: the network's output, flattened.
    """

    def __init__(self, network, output, family=None, shift=None, scale=None):
        super().__init__()
        self.network, self.output, self.family = network, output, family
        self.shift = None if shift is None else torch.as_tensor(shift, dtype=torch.float32)
        self.scale = None if scale is None else torch.as_tensor(scale, dtype=torch.float32)

    def forward(self, x):
        raw = self.network(x)
        raw = raw.reshape(len(raw), -1)
        if self.output in ("logit", "probability"):
            logits = torch.cat([-raw, raw], dim=1) if raw.shape[1] == 1 else raw
            if self.output == "logit":
                return logits
            return torch.sigmoid(logits) if raw.shape[1] == 1 else torch.softmax(logits, 1)
        if self.output == "mean":
            mean = self.family.params(raw)["mean"].reshape(len(raw), -1)
            if self.scale is not None:  # location-scale family trained on a standardised y
                mean = mean * self.scale.to(mean) + self.shift.to(mean)
            return mean
        return raw


def _leaf_outputs(module, x):
    """``[(path, output shape)]`` of the leaf modules in execution order (one dry run)."""
    seen, handles = [], []
    for path, m in module.named_modules():
        if not list(m.children()):
            handles.append(m.register_forward_hook(
                lambda mod, inp, out, path=path: seen.append(
                    (path, tuple(out.shape) if torch.is_tensor(out) else None))))
    try:
        with torch.no_grad():
            module(x)
    finally:
        for h in handles:
            h.remove()
    return seen


class _Model:
    """One network to inspect, with its input handling, layers and scores.

    Attributes
    ----------
    estimator : object
        What the user passed (or the ensemble member).
    network : nn.Module
        Float32 ``(n, C, H, W)`` images, in the user's value range -> raw outputs.
    kind : {"classifier", "regressor", "transformer", "module"}
    classes : ndarray or None
    stages : dict
        Stage name -> module path in ``network`` (``"block2" -> "body.features.block2"``).
    """

    def __init__(self, estimator):
        self.estimator = estimator
        self.classes = getattr(estimator, "classes_", None)
        self.family = getattr(estimator, "family_", None)
        self.image_shape = None
        if isinstance(estimator, nn.Module):
            self.kind, self.network = "module", estimator
        elif hasattr(estimator, "net_") and hasattr(estimator, "_images"):
            self.network = estimator.net_.module_
            self.kind = "classifier" if self.classes is not None else "regressor"
            self.image_shape = tuple(estimator.image_shape_)
        elif hasattr(estimator, "_extractor") and hasattr(estimator, "_images"):
            # PretrainedFeatureTransformer: the per-process extractor its transform uses
            self.kind, self.network = "transformer", estimator._extractor()[0]
        else:
            from sklearn.utils.validation import check_is_fitted

            if hasattr(estimator, "fit") and hasattr(estimator, "_images"):
                check_is_fitted(estimator, "net_")  # raises NotFittedError
            raise TypeError(
                "Expected a fitted sklearn_dl image estimator (CNNClassifier, CNNRegressor, "
                "TransferLearningClassifier), a PretrainedFeatureTransformer, an ensemble of "
                "them (an object with estimators_) or an nn.Module; got "
                f"{type(estimator).__name__}.")
        self.stages, self._default = self._find_stages()

    @property
    def name(self):
        return type(self.estimator).__name__

    @property
    def device(self):
        p = next(self.network.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    # -- input ----------------------------------------------------------------------------
    def images(self, X):
        """Float32 ``(n, C, H, W)`` CPU tensor of ``X``, as the estimator's predict reads it."""
        if self.kind == "module":
            return to_image_tensor(X)
        images, _ = self.estimator._images(X, reset=False)
        if not isinstance(images, torch.Tensor):  # image files: a lazy view
            images = torch.stack([images.load(i) for i in range(len(images))])
        if self.image_shape is not None:
            check_image_shape(images, self.image_shape, self.name)
        return images

    def user_layout(self, X):
        """A function mapping ``(k, C, h, w)`` arrays to the layout of the user's ``X``."""
        if self.kind == "module" or is_path_input(X) or not hasattr(X, "shape"):
            shape, layout, image_shape = None, "auto", None
        else:
            layout = getattr(self.estimator, "layout", "auto")
            image_shape = getattr(self.estimator, "image_shape", None)
            shape = tuple(X.shape)
        if shape is None:  # paths / PIL images: channels last like PIL, grey as (h, w)
            return lambda a: a[:, 0] if a.shape[1] == 1 else np.moveaxis(a, 1, -1)
        _, last, sample = _resolve(shape, layout, image_shape)
        if len(sample) == 2:
            return lambda a: a[:, 0]
        return (lambda a: np.moveaxis(a, 1, -1)) if last else (lambda a: a)

    # -- layers ---------------------------------------------------------------------------
    def _find_stages(self):
        for path, m in self.network.named_modules():
            if callable(getattr(m, "stages", None)):
                prefix = f"{path}." if path else ""
                stages = {name: prefix + rel for name, rel in m.stages().items()}
                default = getattr(m, "default_layer", None)
                if default is not None and default not in stages:
                    default = prefix + default
                return stages, default
        return {}, None

    def module_paths(self):
        return [p for p, _ in self.network.named_modules() if p]

    def default_layer(self, example):
        """The last convolutional stage, or for an unstaged module the last layer whose
        output still has a spatial map (h * w > 1)."""
        if self._default is not None:
            return self._default
        if self.stages:
            return list(self.stages)[-1]
        spatial = [p for p, s in _leaf_outputs(self.network, example.to(self.device))
                   if s is not None and len(s) == 4 and s[2] * s[3] > 1]
        if not spatial:
            raise ValueError(f"{self.name} has no layer with a spatial output to inspect.")
        return spatial[-1]

    def resolve_layer(self, layer, example=None):
        """``(name, path, module)`` for a stage name or a module path (full, or a unique
        suffix such as ``"features.28"``); an unknown name raises with the valid ones."""
        if layer is None:
            layer = self.default_layer(example)
        if not isinstance(layer, str):
            raise TypeError(f"layer must be a str (a stage or module name); got {layer!r}.")
        if layer in self.stages:
            path = self.stages[layer]
        else:
            paths = self.module_paths()
            matches = [p for p in paths + [""] if p == layer] or [
                p for p in paths if p.endswith("." + layer)]
            if len(matches) != 1:
                shown = paths if len(paths) <= 60 else paths[:25] + ["..."] + paths[-25:]
                what = ("is ambiguous, it ends " + ", ".join(matches)) if matches else \
                    "does not exist"
                raise ValueError(
                    f"Layer {layer!r} {what} in {self.name}. Stages: {list(self.stages)}; "
                    f"modules ({len(paths)}): {', '.join(shown)} (all of them: "
                    "sklearn_dl.inspection.list_layers(estimator, raw=True)).")
            path = matches[0]
        return layer, path, self.network.get_submodule(path)

    # -- outputs --------------------------------------------------------------------------
    def check_output(self, output):
        valid = OUTPUTS[self.kind]
        if output is None:
            return valid[0]
        if output not in valid:
            raise ValueError(f"output={output!r} is not available for {self.name}; "
                             f"choose one of {valid}.")
        return output

    def scores(self, output):
        """The :class:`Scores` module for ``output`` (see :data:`OUTPUTS`)."""
        output = self.check_output(output)
        shift = scale = None
        if output == "mean" and getattr(self.estimator, "y_scale_", None) is not None:
            shift, scale = self.estimator.y_mean_, self.estimator.y_scale_
        return Scores(self.network, output, self.family, shift, scale)


def as_models(estimator):
    """``[_Model, ...]``: the ensemble's members, or the one model."""
    members = getattr(estimator, "estimators_", None)
    if members is not None and not hasattr(estimator, "net_") \
            and not isinstance(estimator, nn.Module):
        if len(members) == 0:
            raise ValueError(f"{type(estimator).__name__}.estimators_ is empty.")
        models = [_Model(m) for m in members]
        kinds = {m.kind for m in models}
        if len(kinds) > 1:
            raise ValueError(f"The ensemble mixes kinds of members: {sorted(kinds)}.")
        if models[0].classes is not None and any(
                not np.array_equal(m.classes, models[0].classes) for m in models):
            raise ValueError("The ensemble's members were fitted on different classes.")
        return models
    return [_Model(estimator)]


def batched_scores(model, images, output, batch_size=64):
    """Scores of all images (no gradients), ``(n, K)`` float64 numpy."""
    scores = model.scores(output)
    was_training = model.network.training
    model.network.eval()
    try:
        with torch.no_grad():
            out = [scores(images[i:i + batch_size].to(model.device)).cpu()
                   for i in range(0, len(images), batch_size)]
    finally:
        model.network.train(was_training)
    return torch.cat(out).double().numpy()


def resolve_targets(models, images, target, output):
    """Per-image target column indices (numpy int array of length n).

    ``target=None``: for classifiers the predicted class (of the members' mean
    probability), for regressors the first target, otherwise the largest output.
    A classifier's target is a class label or one label per image; other models take
    output column indices.
    """
    model, n = models[0], len(images[0])
    if model.kind == "classifier":
        classes = model.classes
        if target is None:
            proba = np.mean([batched_scores(m, im, "probability")
                             for m, im in zip(models, images)], axis=0)
            return proba.argmax(axis=1)
        labels = np.asarray(target, dtype=object if isinstance(target, str) else None)
        labels = np.full(n, target, dtype=object) if labels.ndim == 0 else labels
        if len(labels) != n:
            raise ValueError(f"target has {len(labels)} labels but X has {n} images.")
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        unknown = [t for t in labels.tolist() if t not in lookup]
        if unknown:
            raise ValueError(f"target {unknown[0]!r} is not a class of {model.name}; "
                             f"classes are {classes.tolist()}.")
        return np.array([lookup[t] for t in labels.tolist()])
    if target is None:
        if model.kind == "regressor":
            return np.zeros(n, dtype=int)
        raw = np.mean([batched_scores(m, im, output) for m, im in zip(models, images)], axis=0)
        return raw.argmax(axis=1)
    k = batched_scores(model, images[0][:1], output).shape[1]
    idx = np.asarray(target)
    idx = np.full(n, int(idx)) if idx.ndim == 0 else idx
    if len(idx) != n or idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= k:
        raise ValueError(f"target must be an output index in [0, {k}) or one per image; "
                         f"got {target!r}.")
    return idx.astype(int)
