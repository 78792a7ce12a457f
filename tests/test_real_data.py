"""Slow tests on the benchmark data (``make test-slow`` with SKIMBTEXT_DATA set)."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from skimbtext import TextClassifier
from skimbtext.datasets import load_benchmark, make_imbalance

pytestmark = pytest.mark.slow


def test_frozen_minilm_head_on_long_tailed_trec(data_home, tmp_path):
    train = load_benchmark("trec", subset="train", data_home=data_home)
    test = load_benchmark("trec", subset="test", data_home=data_home)
    X, y = make_imbalance(train.data, train.target, imbalance_ratio=50, random_state=0)
    clf = TextClassifier(
        loss="logit_adjusted",
        trainable_layers=0,
        cache_dir=tmp_path,
        max_epochs=30,
        random_state=0,
    )
    clf.fit(X, y)
    macro_f1 = f1_score(test.target, clf.predict(test.data), average="macro")
    assert macro_f1 > 0.6  # chance is ~0.17 for 6 classes


def test_minilm_fine_tuning_runs_and_repeats(data_home):
    data = load_benchmark("sms_spam", data_home=data_home)
    texts, labels = data.data[:64], data.target[:64]
    params = {
        "max_epochs": 1,
        "batch_size": 16,
        "max_length": 32,
        "random_state": 0,
        "device": "cpu",
    }
    first = TextClassifier(**params).fit(texts, labels)
    second = TextClassifier(**params).fit(texts, labels)
    np.testing.assert_array_equal(
        first.predict_proba(texts[:8]), second.predict_proba(texts[:8])
    )
