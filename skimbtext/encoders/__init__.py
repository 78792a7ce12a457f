"""Encoder bodies (torch modules) and the offline loading of pretrained encoders.

Bodies map a batch of model inputs to one vector per sample:
:class:`TransformerEncoder` for token ids (any Hugging Face encoder plus pooling) and
:class:`MLPEncoder` for numeric features.
"""

from ._batching import (
    EncodedDataset,
    PadCollator,
    canonical_order,
    length_order,
    tokenize,
)
from ._pretrained import (
    TINY_BERT_CONFIG,
    load_encoder_model,
    load_tokenizer,
    minilm_path,
    model_fingerprint,
    resolve_encoder_source,
)
from ._transformer import MLPEncoder, TransformerEncoder, freeze

__all__ = [
    "TINY_BERT_CONFIG",
    "EncodedDataset",
    "MLPEncoder",
    "PadCollator",
    "TransformerEncoder",
    "canonical_order",
    "freeze",
    "length_order",
    "load_encoder_model",
    "load_tokenizer",
    "minilm_path",
    "model_fingerprint",
    "resolve_encoder_source",
    "tokenize",
]
