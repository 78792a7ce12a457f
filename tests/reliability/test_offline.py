"""With the network blocked, every encoder loads and every estimator runs.

skimbtext never downloads: "minilm" ships in a package, "tiny-bert" is built
locally, other names must already be on disk. The tests below refuse every socket
and DNS lookup and assert that none was attempted.
"""

import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from skimbtext import TextClassifier, TextEmbedder
from skimbtext.encoders import load_tokenizer
from skimbtext.over_sampling._miso import MISOSampler

TEXTS = ["a good film", "a bad film", "great acting", "awful plot"] * 3
LABELS = ["pos", "neg", "pos", "neg"] * 3


@pytest.fixture
def network_attempts(monkeypatch):
    """Block the network; the list records every attempt to use it."""
    attempts = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append((name, args))
            raise OSError(f"network blocked in this test ({name})")

        return blocked

    class BlockedSocket(socket.socket):  # a class: ssl subclasses socket.socket
        __init__ = staticmethod(refuse("socket"))

    monkeypatch.setattr(socket, "socket", BlockedSocket)
    for name in ("create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse(name))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Tokenizers are cached per process: load them again under the block.
    load_tokenizer.cache_clear()
    yield attempts
    load_tokenizer.cache_clear()


def test_the_block_catches_a_connection(network_attempts):
    with pytest.raises(OSError, match="network blocked"):
        socket.create_connection(("huggingface.co", 443))
    assert network_attempts


def test_tiny_bert_fit_and_predict_offline(network_attempts):
    clf = TextClassifier(
        encoder="tiny-bert", max_epochs=1, max_length=16, device="cpu", random_state=0
    ).fit(TEXTS, LABELS)
    assert clf.predict(TEXTS).shape == (len(TEXTS),)
    assert network_attempts == []


def test_minilm_fine_tuning_and_embedding_offline(network_attempts):
    clf = TextClassifier(
        encoder="minilm", max_epochs=1, max_length=16, device="cpu", random_state=0
    ).fit(TEXTS, LABELS)
    assert clf.predict_proba(TEXTS).shape == (len(TEXTS), 2)
    embeddings = TextEmbedder(encoder="minilm", device="cpu").fit_transform(TEXTS)
    assert embeddings.shape == (len(TEXTS), 384)
    assert np.isfinite(embeddings).all()
    assert network_attempts == []


def test_miso_on_texts_offline(network_attempts):
    sampler = MISOSampler(
        encoder="tiny-bert",
        max_length=8,
        k_neighbors=2,
        latent_dim=8,
        n_heads=2,
        hidden_size=8,
        pretrain_epochs=1,
        mine_pretrain_epochs=1,
        adversarial_epochs=1,
        max_pairs=8,
        device="cpu",
        random_state=0,
    )
    X_res, y_res = sampler.fit_resample(TEXTS, ["pos"] * 3 + ["neg"] * 9)
    assert len(X_res) == len(y_res) > len(TEXTS)
    assert network_attempts == []


@pytest.mark.slow  # a fresh interpreter imports torch and transformers
def test_no_download_even_without_hf_hub_offline(tmp_path):
    """In a fresh interpreter without HF_HUB_OFFLINE: still no network use."""
    script = textwrap.dedent(
        """
        import socket

        attempts = []

        def blocked(*args, **kwargs):
            attempts.append(args)
            raise OSError("network blocked")

        class BlockedSocket(socket.socket):  # ssl subclasses socket.socket
            def __init__(self, *args, **kwargs):
                blocked(*args)

        socket.socket = BlockedSocket
        socket.create_connection = socket.getaddrinfo = blocked

        from skimbtext import TextEmbedder

        embeddings = TextEmbedder(encoder="minilm", device="cpu").fit_transform(
            ["offline", "still offline"]
        )
        assert embeddings.shape == (2, 384), embeddings.shape
        assert attempts == [], attempts
        print("ok")
        """
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env["HF_HOME"] = str(tmp_path)  # an empty cache: nothing to fall back on
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
