"""A Hugging Face encoder with pooling, as a body that maps token ids to vectors."""

from torch import nn

POOLINGS = ("mean", "cls")


class TransformerEncoder(nn.Module):
    """Hugging Face ``AutoModel`` followed by pooling into one vector per text.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        Any encoder returning ``last_hidden_state``.
    pooling : {"mean", "cls"}, default="mean"
        ``"mean"`` averages the non-padding token states (what sentence-transformers
        does for all-MiniLM-L6-v2); ``"cls"`` takes the first token's state.

    Attributes
    ----------
    output_dim : int
        Width of the pooled vector.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import TransformerEncoder, load_encoder_model
    >>> _ = torch.manual_seed(0)
    >>> body = TransformerEncoder(load_encoder_model("tiny-bert"), pooling="mean")
    >>> ids = torch.tensor([[101, 2204, 102, 0]])
    >>> body(input_ids=ids, attention_mask=(ids != 0).long()).shape
    torch.Size([1, 128])
    """

    def __init__(self, model, pooling="mean"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        self.model = model
        self.pooling = pooling
        self.output_dim = model.config.hidden_size

    def forward(self, input_ids, attention_mask):
        hidden = self.model(
            input_ids=input_ids, attention_mask=attention_mask
        ).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)


class MLPEncoder(nn.Module):
    """A multilayer perceptron body for numeric input (e.g. precomputed embeddings).

    Parameters
    ----------
    n_features : int
        Width of the input vectors.
    hidden_layer_sizes : tuple of int, default=(256,)
        Width of each hidden layer; ``()`` makes the body the identity.
    dropout : float, default=0.1
        Dropout applied after every hidden activation.

    Attributes
    ----------
    output_dim : int
        Width of the output vector.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import MLPEncoder
    >>> MLPEncoder(4, hidden_layer_sizes=(8,))(features=torch.ones(2, 4)).shape
    torch.Size([2, 8])
    """

    def __init__(self, n_features, hidden_layer_sizes=(256,), dropout=0.1):
        super().__init__()
        layers = []
        width = n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.layers = nn.Sequential(*layers)
        self.output_dim = width

    def forward(self, features):
        return self.layers(features)


def freeze(module):
    """Switch off gradients of every parameter of ``module`` and return it.

    Parameters
    ----------
    module : torch.nn.Module
        Changed in place.

    Returns
    -------
    module : torch.nn.Module
        The same module.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import freeze
    >>> layer = freeze(torch.nn.Linear(2, 2))
    >>> any(parameter.requires_grad for parameter in layer.parameters())
    False
    """
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module
