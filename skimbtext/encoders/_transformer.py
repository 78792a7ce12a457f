"""A Hugging Face encoder with pooling, as a body that maps token ids to vectors."""

import torch
from torch import nn

POOLINGS = ("mean", "cls")


class TransformerEncoder(nn.Module):
    """Hugging Face ``AutoModel`` followed by pooling into one vector per text.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        Any encoder returning ``last_hidden_state``. With ``trainable_layers`` set,
        a BERT-family encoder whose layers are ``model.encoder.layer``.
    pooling : {"mean", "cls"}, default="mean"
        ``"mean"`` averages the non-padding token states (what sentence-transformers
        does for all-MiniLM-L6-v2); ``"cls"`` takes the first token's state.
    trainable_layers : int, optional
        Train only the top ``trainable_layers`` transformer layers: the
        embeddings and the layers below are frozen (no gradients) and the body
        also accepts their output, ``hidden_states`` (see :meth:`lower_states`),
        instead of token ids, so that a fit computes them once per text. None
        (or the model's depth) trains every layer.

    Attributes
    ----------
    output_dim : int
        Width of the pooled vector.
    cut : int
        Index of the first trainable layer (0 when every layer trains).

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import TransformerEncoder, load_encoder_model
    >>> _ = torch.manual_seed(0)
    >>> body = TransformerEncoder(load_encoder_model("tiny-bert"), pooling="mean")
    >>> ids = torch.tensor([[101, 2204, 102, 0]])
    >>> mask = (ids != 0).long()
    >>> body(input_ids=ids, attention_mask=mask).shape
    torch.Size([1, 128])

    The top layer alone, on the states of the layers below it, gives the same
    vector as the whole model:

    >>> top = TransformerEncoder(body.model, trainable_layers=1).eval()
    >>> states = top.lower_states(ids, mask)
    >>> torch.allclose(top(hidden_states=states, attention_mask=mask),
    ...                body.eval()(input_ids=ids, attention_mask=mask), atol=1e-6)
    True
    """

    def __init__(self, model, pooling="mean", trainable_layers=None):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        self.model = model
        self.pooling = pooling
        self.output_dim = model.config.hidden_size
        self.cut = 0
        if trainable_layers is not None:
            layers = _encoder_layers(model)
            if not 0 < trainable_layers <= len(layers):
                raise ValueError(
                    f"trainable_layers must be between 1 and the encoder's "
                    f"{len(layers)} layers, got {trainable_layers}."
                )
            self.cut = len(layers) - trainable_layers
        if self.cut:
            freeze(model.embeddings)
            for layer in _encoder_layers(model)[: self.cut]:
                freeze(layer)

    @torch.no_grad()
    def lower_states(self, input_ids, attention_mask):
        """Token states entering the first trainable layer (the frozen part's output).

        Runs the model's own forward (embeddings, attention mask, layers) with
        only the frozen layers, without gradients and with dropout off.

        Parameters
        ----------
        input_ids, attention_mask : torch.Tensor of shape (batch, length)

        Returns
        -------
        hidden_states : torch.Tensor of shape (batch, length, hidden_size)
        """
        encoder = self.model.encoder
        layers = encoder.layer
        was_training = self.model.training
        encoder.layer = layers[: self.cut]
        self.model.eval()
        try:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
        finally:
            encoder.layer = layers
            self.model.train(was_training)

    def _top_layers(self, hidden_states, attention_mask):
        from transformers.masking_utils import create_bidirectional_mask

        mask = create_bidirectional_mask(
            config=self.model.config,
            inputs_embeds=hidden_states,
            attention_mask=attention_mask,
        )
        for layer in _encoder_layers(self.model)[self.cut :]:
            hidden_states = layer(hidden_states, mask)
        return hidden_states

    def forward(self, input_ids=None, attention_mask=None, hidden_states=None):
        if hidden_states is not None:
            if not self.cut:
                raise ValueError(
                    "hidden_states are the input of the top layers; this body "
                    "trains every layer and takes input_ids."
                )
            hidden = self._top_layers(hidden_states, attention_mask)
        elif self.cut:
            states = self.lower_states(input_ids, attention_mask)
            hidden = self._top_layers(states, attention_mask)
        else:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)


def _encoder_layers(model):
    """The transformer layers of a BERT-family model (``model.encoder.layer``)."""
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise ValueError(
            f"trainable_layers needs a BERT-family encoder (layers in "
            f"model.encoder.layer); {type(model).__name__} has none. Use "
            "trainable_layers=None to train every layer, or 0 for a frozen encoder."
        )
    return layers


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
