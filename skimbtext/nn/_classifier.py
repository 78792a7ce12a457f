"""The plain classification network: encoder body, dropout, linear or cosine head."""

import torch
import torch.nn.functional as F
from torch import nn


class CosineLinear(nn.Module):
    """Linear layer on L2-normalised inputs and weights: logits are cosines in [-1, 1].

    The margin losses (LDAM) expect such logits and apply their own scale.

    Parameters
    ----------
    in_features : int
        Width of the input vectors.
    out_features : int
        Number of outputs (classes).

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (out_features, in_features)
        Class vectors, Xavier-initialised; normalised in every forward pass.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn import CosineLinear
    >>> _ = torch.manual_seed(0)
    >>> logits = CosineLinear(4, 3)(torch.randn(5, 4))
    >>> logits.shape, bool(logits.abs().max() <= 1.0 + 1e-6)
    (torch.Size([5, 3]), True)
    """

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, features):
        return F.normalize(features, dim=-1) @ F.normalize(self.weight, dim=-1).T


#: Kinds of class logits: a linear layer, or cosines (margin losses such as LDAM).
LOGITS = ("linear", "cosine")


def make_head(in_features, n_classes, logits="linear"):
    """The layer that maps features to class logits.

    Parameters
    ----------
    in_features : int
        Width of the features.
    n_classes : int
        Number of logits.
    logits : {"linear", "cosine"}, default="linear"
        ``"cosine"`` gives :class:`CosineLinear`, whose logits are cosines in
        [-1, 1] (for margin losses such as LDAM).

    Returns
    -------
    head : nn.Module

    Examples
    --------
    >>> from skimbtext.nn import make_head
    >>> make_head(4, 2, logits="cosine").weight.shape
    torch.Size([2, 4])
    """
    if logits == "linear":
        return nn.Linear(in_features, n_classes)
    if logits == "cosine":
        return CosineLinear(in_features, n_classes)
    raise ValueError(f"logits must be one of {LOGITS}, got {logits!r}.")


class ClassifierModule(nn.Module):
    """Encoder body, dropout and a linear or cosine head: the plain classifier.

    ``logits = head(dropout(body(**inputs)))``.

    Parameters
    ----------
    body : nn.Module
        Maps the batch inputs (token ids and mask, or features) to vectors of width
        ``body.output_dim``.
    n_classes : int
        Number of output logits.
    dropout : float, default=0.1
        Dropout on the body output during training.
    logits : {"linear", "cosine"}, default="linear"
        The head: see :func:`make_head`.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import MLPEncoder
    >>> from skimbtext.nn import ClassifierModule
    >>> module = ClassifierModule(MLPEncoder(4, (8,)), n_classes=3)
    >>> module(features=torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, body, n_classes, dropout=0.1, logits="linear"):
        super().__init__()
        self.body = body
        self.dropout = nn.Dropout(dropout)
        self.head = make_head(body.output_dim, n_classes, logits)

    def forward(self, **inputs):
        return self.head(self.dropout(self.body(**inputs)))
