"""Turning texts into numeric features."""

from ._text_embedder import TextEmbedder

__all__ = ["TextEmbedder"]
