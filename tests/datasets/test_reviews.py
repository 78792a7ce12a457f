import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

from skimbtext.datasets import make_multidomain_reviews


def test_default_output_structure():
    df = make_multidomain_reviews(random_state=0)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["text", "label", "domain"]
    assert len(df) == 2000
    assert set(df["label"]) == {"negative", "positive"}
    assert set(df["domain"]) == {
        "books",
        "dvd",
        "electronics",
        "kitchen",
        "toys",
        "garden",
    }
    assert df.attrs["flipped_domains"] == []
    assert isinstance(df.index, pd.RangeIndex)


def test_texts_are_nonempty_lowercase_strings_of_varied_length():
    df = make_multidomain_reviews(random_state=1)
    assert all(isinstance(t, str) and t.strip() for t in df["text"])
    assert (df["text"] == df["text"].str.lower()).all()
    n_words = df["text"].str.split().str.len()
    assert n_words.min() >= 8 and n_words.max() <= 40
    assert n_words.std() > 3  # lengths vary


def test_deterministic_given_random_state():
    a = make_multidomain_reviews(500, flip_fraction=0.3, random_state=7)
    b = make_multidomain_reviews(500, flip_fraction=0.3, random_state=7)
    c = make_multidomain_reviews(500, flip_fraction=0.3, random_state=8)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs
    assert not a["text"].equals(c["text"])


def test_domain_sizes_follow_ratio_in_named_order():
    df = make_multidomain_reviews(
        5000, n_domains=5, domain_imbalance_ratio=10, noise=0, random_state=0
    )
    sizes = df["domain"].value_counts()
    assert list(sizes.index) == ["books", "dvd", "electronics", "kitchen", "toys"]
    assert sizes.sum() == 5000
    assert sizes.iloc[0] / sizes.iloc[-1] == pytest.approx(10, rel=0.02)
    # geometric decay: consecutive ratios are all 10 ** (1 / 4)
    np.testing.assert_allclose(
        sizes.to_numpy()[:-1] / sizes.to_numpy()[1:], 10**0.25, rtol=0.02
    )


def test_class_ratio_within_every_domain():
    df = make_multidomain_reviews(
        4000,
        n_domains=4,
        domain_imbalance_ratio=2,
        class_imbalance_ratio=4,
        noise=0,
        random_state=0,
    )
    counts = pd.crosstab(df["domain"], df["label"])
    ratios = counts["positive"] / counts["negative"]
    np.testing.assert_allclose(ratios, 4, rtol=0.03)
    total = df["label"].value_counts()
    assert total["positive"] / total["negative"] == pytest.approx(4, rel=0.02)


def test_balanced_classes_with_ratio_one():
    df = make_multidomain_reviews(
        600, n_domains=3, class_imbalance_ratio=1, noise=0, random_state=0
    )
    counts = pd.crosstab(df["domain"], df["label"])
    assert (abs(counts["positive"] - counts["negative"]) <= 1).all()


def test_label_noise_flips_exactly_that_fraction():
    clean = make_multidomain_reviews(1000, noise=0, random_state=3)
    noisy = make_multidomain_reviews(1000, noise=0.1, random_state=3)
    assert clean["text"].equals(noisy["text"])
    assert (clean["label"] != noisy["label"]).sum() == 100


def test_flipped_domains_are_inverted():
    clean = make_multidomain_reviews(1200, flip_fraction=0, random_state=5)
    altered = make_multidomain_reviews(1200, flip_fraction=0.5, random_state=5)
    flipped = altered.attrs["flipped_domains"]
    assert len(flipped) == 3  # round(0.5 * 6)
    assert clean["text"].equals(altered["text"])
    in_flipped = clean["domain"].isin(flipped)
    assert (clean.loc[in_flipped, "label"] != altered.loc[in_flipped, "label"]).all()
    assert (clean.loc[~in_flipped, "label"] == altered.loc[~in_flipped, "label"]).all()
    # negative becomes the majority class of a flipped domain
    flipped_counts = altered.loc[in_flipped, "label"].value_counts()
    assert flipped_counts["negative"] > flipped_counts["positive"]


def test_small_flip_fraction_flips_at_least_one_domain():
    df = make_multidomain_reviews(300, flip_fraction=0.01, random_state=0)
    assert len(df.attrs["flipped_domains"]) == 1
    df = make_multidomain_reviews(300, flip_fraction=1.0, random_state=0)
    assert len(df.attrs["flipped_domains"]) == 6


def test_as_frame_false_returns_arrays():
    texts, labels, domains = make_multidomain_reviews(
        300, random_state=0, as_frame=False
    )
    for arr in (texts, labels, domains):
        assert isinstance(arr, np.ndarray) and arr.shape == (300,)
        assert all(isinstance(v, str) for v in arr)
    df = make_multidomain_reviews(300, random_state=0)
    np.testing.assert_array_equal(texts, df["text"].to_numpy())
    np.testing.assert_array_equal(labels, df["label"].to_numpy())


def test_many_domains_get_generic_names():
    df = make_multidomain_reviews(600, n_domains=12, random_state=0)
    assert {"domain_10", "domain_11"} <= set(df["domain"])
    assert df["domain"].nunique() == 12
    assert (df["text"].str.len() > 0).all()


def test_polarity_flipping_words_depend_on_domain():
    df = make_multidomain_reviews(
        6000,
        n_domains=4,
        domain_imbalance_ratio=1,
        class_imbalance_ratio=1,
        noise=0,
        random_state=0,
    )
    positive = df["label"] == "positive"
    for word, pos_domains, neg_domains in [
        ("unpredictable", ["books", "dvd"], ["electronics", "kitchen"]),
        ("long", ["electronics"], ["dvd"]),
    ]:
        has = df["text"].str.contains(rf"\b{word}\b")
        for dom in pos_domains:
            assert positive[has & (df["domain"] == dom)].mean() > 0.7
        for dom in neg_domains:
            assert positive[has & (df["domain"] == dom)].mean() < 0.3


def _tfidf_split(df, stratify):
    train, test = train_test_split(df, test_size=0.3, random_state=0, stratify=stratify)
    vec = TfidfVectorizer().fit(train["text"])
    return train, test, vec.transform(train["text"]), vec.transform(test["text"])


def test_learnable_by_tfidf_logistic_regression():
    df = make_multidomain_reviews(random_state=0)
    train, test, X_train, X_test = _tfidf_split(df, df["label"])
    clf = LogisticRegression(class_weight="balanced", max_iter=1000)
    clf.fit(X_train, train["label"])
    score = balanced_accuracy_score(test["label"], clf.predict(X_test))
    assert score > 0.75  # chance is 0.5


def test_per_domain_models_beat_pooled_on_flipped_domains():
    df = make_multidomain_reviews(
        3000, domain_imbalance_ratio=4, flip_fraction=0.34, random_state=0
    )
    flipped = df.attrs["flipped_domains"]
    assert len(flipped) == 2
    train, test, X_train, X_test = _tfidf_split(df, df["domain"] + df["label"])
    pooled = LogisticRegression(class_weight="balanced", max_iter=1000)
    pooled.fit(X_train, train["label"])
    for dom in flipped:
        tr = (train["domain"] == dom).to_numpy()
        te = (test["domain"] == dom).to_numpy()
        local = LogisticRegression(class_weight="balanced", max_iter=1000)
        local.fit(X_train[tr], train["label"][tr])
        y = test["label"][te] == "positive"
        auc_local = roc_auc_score(y, local.predict_proba(X_test[te])[:, 1])
        auc_pooled = roc_auc_score(y, pooled.predict_proba(X_test[te])[:, 1])
        assert auc_local > auc_pooled + 0.05, (dom, auc_local, auc_pooled)
        assert auc_local > 0.8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": 10, "n_domains": 6}, "n_samples must be >= 12"),
        ({"n_domains": 0}, "n_domains must be a positive integer"),
        ({"domain_imbalance_ratio": 0.5}, "domain_imbalance_ratio must be"),
        ({"class_imbalance_ratio": 0}, "class_imbalance_ratio must be"),
        ({"noise": 1.5}, r"noise must be a number in \[0, 1\]"),
        ({"flip_fraction": -0.1}, r"flip_fraction must be a number in \[0, 1\]"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_multidomain_reviews(**kwargs)


def test_single_domain_and_minimum_size():
    df = make_multidomain_reviews(2, n_domains=1, random_state=0, noise=0)
    assert sorted(df["label"]) == ["negative", "positive"]
    df = make_multidomain_reviews(12, n_domains=6, domain_imbalance_ratio=100)
    assert (df["domain"].value_counts() >= 2).all()
