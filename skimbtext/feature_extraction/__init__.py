"""Turning texts into numeric features."""

from ._states import lower_layer_states
from ._text_embedder import TextEmbedder

__all__ = ["TextEmbedder", "lower_layer_states"]
