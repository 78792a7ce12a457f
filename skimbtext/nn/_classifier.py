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
    head : {"linear", "cosine"}, default="linear"
        ``"cosine"`` uses :class:`CosineLinear`.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import MLPEncoder
    >>> from skimbtext.nn import ClassifierModule
    >>> module = ClassifierModule(MLPEncoder(4, (8,)), n_classes=3)
    >>> module(features=torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, body, n_classes, dropout=0.1, head="linear"):
        super().__init__()
        self.body = body
        self.dropout = nn.Dropout(dropout)
        if head == "linear":
            self.head = nn.Linear(body.output_dim, n_classes)
        elif head == "cosine":
            self.head = CosineLinear(body.output_dim, n_classes)
        else:
            raise ValueError(f"head must be 'linear' or 'cosine', got {head!r}.")

    def forward(self, **inputs):
        return self.head(self.dropout(self.body(**inputs)))
