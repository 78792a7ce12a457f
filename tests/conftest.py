"""Shared fixtures. Tests run offline on a tiny random BERT and synthetic reviews."""

import os

import numpy as np
import pytest

# Belt and braces: no test may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def reviews():
    """A small imbalanced synthetic review set (text, label, domain)."""
    from skimbtext.datasets import make_multidomain_reviews

    return make_multidomain_reviews(240, random_state=0)


@pytest.fixture(scope="session")
def blobs():
    """Numeric, well-separated 3-class data with string labels."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=150, centers=3, n_features=5, random_state=0)
    return X.astype(np.float32), np.array(["a", "b", "c"])[y]


@pytest.fixture(scope="session")
def data_home():
    """The benchmark data directory from SKIMBTEXT_DATA; tests skip without it."""
    path = os.environ.get("SKIMBTEXT_DATA")
    if not path or not os.path.isdir(path):
        pytest.skip("set SKIMBTEXT_DATA to the benchmark data directory")
    return path


@pytest.fixture
def tiny_miso():
    """Settings of a MISO generator that trains in a second or two (5 epochs of
    64 pairs in batches of 16); tests override what they need."""
    return {
        "latent_dim": 8,
        "n_heads": 2,
        "hidden_size": 16,
        "batch_size": 16,
        "pretrain_epochs": 2,
        "mine_pretrain_epochs": 1,
        "adversarial_epochs": 2,
        "max_pairs": 64,
        "lr": 1e-2,
        "device": "cpu",
        "random_state": 0,
    }
