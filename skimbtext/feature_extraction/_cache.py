"""An on-disk store of text embeddings, keyed by encoder fingerprint and text."""

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

_SCHEMA = "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB)"
_LOOKUP_CHUNK = 500  # stays below SQLite's limit on bound parameters


class EmbeddingCache:
    """Embeddings in one SQLite file, so repeated fits skip the encoder.

    Keys hash the encoder fingerprint (weights, tokenizer, pooling, max length)
    together with the text, so a cache directory can be shared by any number of
    encoders and never returns a vector computed by another one.

    Parameters
    ----------
    directory : str or path-like
        Created if missing; the store is ``<directory>/embeddings.sqlite``.
    fingerprint : str
        Identifies the encoder and its settings.
    """

    def __init__(self, directory, fingerprint):
        self.path = Path(directory) / "embeddings.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        with sqlite3.connect(self.path) as connection:
            connection.execute(_SCHEMA)

    def keys(self, texts):
        prefix = self.fingerprint.encode() + b"\x00"
        return [hashlib.sha256(prefix + text.encode()).digest() for text in texts]

    def get(self, keys):
        """Return a dict from key to vector for the keys present in the store."""
        found = {}
        with sqlite3.connect(self.path) as connection:
            for begin in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[begin : begin + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk
                )
                for key, vector in rows:
                    found[key] = np.frombuffer(vector, dtype=np.float32)
        return found

    def put(self, keys, vectors):
        rows = [
            (key, np.ascontiguousarray(vector, dtype=np.float32).tobytes())
            for key, vector in zip(keys, vectors)
        ]
        with sqlite3.connect(self.path) as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows
            )
