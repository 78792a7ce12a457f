"""Shared fixtures. Tests run offline on a tiny random BERT and synthetic reviews."""

import os
from types import MappingProxyType

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


# Fast settings shared by the test modules. Session-scoped so that module-scoped
# fixtures can use them, and read-only so that no test changes them for the next:
# a test overrides what it needs with {**tiny_text, "max_epochs": 1}.


@pytest.fixture(scope="session")
def tiny_text():
    """Settings of a classifier that fine-tunes the tiny random BERT for two
    epochs on the CPU."""
    return MappingProxyType(
        {
            "encoder": "tiny-bert",
            "max_epochs": 2,
            "batch_size": 16,
            "lr": 1e-3,
            "random_state": 0,
            "device": "cpu",
        }
    )


@pytest.fixture(scope="session")
def tiny_numeric():
    """Settings of a classifier in numeric mode: a 16-unit MLP body, three epochs
    on the CPU."""
    return MappingProxyType(
        {
            "max_epochs": 3,
            "hidden_layer_sizes": (16,),
            "lr": 1e-2,
            "batch_size": 16,
            "random_state": 0,
            "device": "cpu",
        }
    )


@pytest.fixture(scope="session")
def tiny_miso():
    """Settings of a MISO generator that trains in a second or two (5 epochs of
    64 pairs in batches of 16)."""
    return MappingProxyType(
        {
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
    )
