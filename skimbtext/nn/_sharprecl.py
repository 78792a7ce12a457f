"""The SharpReCL network: encoder, classifier, feature and prototype projections."""

import torch
import torch.nn.functional as F
from torch import nn

from ._classifier import make_head

SECOND_VIEW_PREFIX = "aug_"


class ProjectionHead(nn.Module):
    """Linear–BatchNorm–ReLU–Linear, the projection heads of the authors' code.

    A training batch of a single row has no batch statistics; it is normalised
    with the running statistics instead of raising.

    Parameters
    ----------
    in_features : int
        Input width.
    out_features : int
        Output width.
    hidden_features : int, optional
        Hidden width; ``in_features`` by default.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn import ProjectionHead
    >>> ProjectionHead(8, 4)(torch.randn(3, 8)).shape
    torch.Size([3, 4])
    """

    def __init__(self, in_features, out_features, hidden_features=None):
        super().__init__()
        hidden_features = hidden_features or in_features
        self.hidden = nn.Linear(in_features, hidden_features)
        self.norm = nn.BatchNorm1d(hidden_features)
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, inputs):
        hidden = self.hidden(inputs)
        if self.training and hidden.shape[0] == 1:
            hidden = F.batch_norm(
                hidden,
                self.norm.running_mean,
                self.norm.running_var,
                self.norm.weight,
                self.norm.bias,
                training=False,
                eps=self.norm.eps,
            )
        else:
            hidden = self.norm(hidden)
        return self.output(F.relu(hidden))


def _pad_tokens(tensor, width):
    """Right-pad dimension 1 (tokens) of ``tensor`` with zeros to ``width``."""
    padding = [0, 0] * (tensor.ndim - 2) + [0, width - tensor.shape[1]]
    return F.pad(tensor, padding)


def _stack_views(views):
    """Concatenate the inputs of several views along the batch dimension.

    Token ids, token states and masks of different lengths are right-padded
    with 0 along the token axis; the padded positions are masked, so they change
    nothing.
    """
    stacked = {}
    for name in views[0]:
        tensors = [view[name] for view in views]
        if name != "features" and tensors[0].ndim >= 2:
            width = max(tensor.shape[1] for tensor in tensors)
            tensors = [_pad_tokens(t, width) for t in tensors]
        stacked[name] = torch.cat(tensors)
    return stacked


class SharpReCLModule(nn.Module):
    """Encoder body with SharpReCL's classification and contrastive branches.

    In training mode, for a batch of ``B`` samples seen in ``V`` views (1 or 2):

    * ``feat = body(x)`` for every view (one body call on the stacked views);
    * class logits ``φ(feat) = Wᵀ feat`` (a linear or cosine head, after dropout);
    * ``z = normalize(proj_f(feat))`` and ``proto = normalize(proj_h(W))``, with
      ``proj_f`` and ``proj_h`` Linear–BatchNorm–ReLU–Linear heads and ``W`` the
      ``(C, d)`` classifier weight, so the prototypes are learned through the
      classifier.

    The second view is the batch's ``aug_*`` inputs when present (e.g.
    ``aug_input_ids`` of augmented texts); otherwise, with ``repeat_view=True``,
    the same inputs again, whose dropout noise differs (SimCSE), with feature
    dropout ``view_dropout`` on float inputs (``features``) added.

    Parameters
    ----------
    body : nn.Module
        Maps the batch inputs to vectors of width ``body.output_dim``.
    n_classes : int
        Number of classes ``C``.
    dropout : float, default=0.1
        Dropout before the classifier.
    projection_dim : int, default=100
        Width of ``z`` and of the prototypes.
    logits : {"linear", "cosine"}, default="linear"
        The classifier ``φ``: linear or cosine logits (see
        :func:`~skimbtext.nn.make_head`).
    use_cl : bool, default=True
        Build the contrastive branch (``proj_f``, ``proj_h``).
    use_cls : bool, default=True
        Predict with the classifier ``φ``. When False, ``W`` only feeds the
        prototypes, and the logits come from a linear probe on stop-gradient
        features, so no classification gradient reaches the encoder.
    repeat_view : bool, default=False
        Make a second view from the same inputs when no ``aug_*`` inputs are
        given.
    view_dropout : float, default=0.0
        Feature dropout on float inputs of a repeated view.

    Returns
    -------
    In evaluation mode, the logits ``(B, C)``. In training mode the tuple
    ``(logits, view_logits, projections, prototypes)``: first-view logits
    ``(B, C)``, logits of every view ``(B, V, C)``, the L2-normalised ``z``
    ``(B, V, projection_dim)`` and the L2-normalised prototypes broadcast over
    the batch ``(B, C, projection_dim)`` (a view, not a copy); without the
    contrastive branch only the first two.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import MLPEncoder
    >>> from skimbtext.nn import SharpReCLModule
    >>> module = SharpReCLModule(MLPEncoder(4, (8,)), n_classes=3,
    ...                          projection_dim=5, repeat_view=True)
    >>> [tuple(t.shape) for t in module(features=torch.randn(6, 4))]
    [(6, 3), (6, 2, 3), (6, 2, 5), (6, 3, 5)]
    >>> module.eval()(features=torch.randn(6, 4)).shape
    torch.Size([6, 3])
    """

    def __init__(
        self,
        body,
        n_classes,
        *,
        dropout=0.1,
        projection_dim=100,
        logits="linear",
        use_cl=True,
        use_cls=True,
        repeat_view=False,
        view_dropout=0.0,
    ):
        super().__init__()
        if not (use_cl or use_cls):
            raise ValueError("At least one of use_cl and use_cls must be True.")
        width = body.output_dim
        self.body = body
        self.dropout = nn.Dropout(dropout)
        self.classifier = make_head(width, n_classes, logits)
        self.probe = None if use_cls else nn.Linear(width, n_classes)
        self.feature_projection = None  # proj_f
        self.prototype_projection = None  # proj_h
        if use_cl:
            self.feature_projection = ProjectionHead(width, projection_dim)
            self.prototype_projection = ProjectionHead(width, projection_dim)
        self.repeat_view = repeat_view
        self.view_dropout = view_dropout

    def _class_logits(self, features):
        if self.probe is not None:
            return self.probe(self.dropout(features.detach()))
        return self.classifier(self.dropout(features))

    def _views(self, inputs, second_view):
        if second_view:
            return [inputs, second_view]
        if not self.repeat_view:
            return [inputs]
        repeated = {
            name: F.dropout(value, self.view_dropout, training=True)
            if name == "features" and self.view_dropout > 0
            else value
            for name, value in inputs.items()
        }
        return [inputs, repeated]

    def prototypes(self):
        """The L2-normalised class prototypes ``normalize(proj_h(W))``, (C, dim)."""
        return F.normalize(self.prototype_projection(self.classifier.weight), dim=-1)

    def forward(self, **inputs):
        second_view = {
            name[len(SECOND_VIEW_PREFIX) :]: inputs.pop(name)
            for name in list(inputs)
            if name.startswith(SECOND_VIEW_PREFIX)
        }
        if not self.training:
            return self._class_logits(self.body(**inputs))
        views = self._views(inputs, second_view)
        n_views = len(views)
        features = self.body(**_stack_views(views))
        batch_size = features.shape[0] // n_views
        # rows are view-major; (V * B, ...) -> (B, V, ...)
        view_logits = (
            self._class_logits(features).view(n_views, batch_size, -1).transpose(0, 1)
        )
        logits = view_logits[:, 0]
        if self.feature_projection is None:
            return logits, view_logits
        projections = F.normalize(self.feature_projection(features), dim=-1)
        projections = projections.view(n_views, batch_size, -1).transpose(0, 1)
        prototypes = self.prototypes()
        return (
            logits,
            view_logits,
            projections,
            prototypes.unsqueeze(0).expand(batch_size, -1, -1),
        )
