"""MISOSampler: difficult samples, exact counts, readable anchors, containers."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline, make_pipeline
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import MultinomialNB
from sklearn.neighbors import NearestNeighbors

from skimbtext.encoders import load_tokenizer, tokenize
from skimbtext.metrics import difficult_sample_mask, difficult_sample_ratio
from skimbtext.over_sampling import MISOSampler

# Whole-word tokens only (no punctuation, common words), so each generated word
# must be one of these words.
SPAM = ["win free cash now", "free prize call now", "claim your cash prize today"]
HAM = [
    "see you at lunch",
    "the meeting is at noon",
    "call me when you are home",
    "we are going to the park",
    "dinner is ready at eight",
    "are you coming to work today",
    "i will be home late",
    "let us meet at the park",
    "the train is late again",
    "good night see you soon",
]


@pytest.fixture(scope="module")
def fast(tiny_miso):
    return {**tiny_miso, "batch_size": 32}


@pytest.fixture(scope="module")
def fast_text(fast):
    return {**fast, "encoder": "tiny-bert", "max_length": 12, "k_neighbors": 3}


@pytest.fixture(scope="module")
def hand_built():
    # Minority 0 at the origin; sample 2 sits inside the majority cluster and
    # sample 1 is the majority-side border point.
    X = np.array(
        [
            [0.0, 0.0],
            [0.3, 0.0],
            [5.0, 5.0],
            [0.0, 0.3],
            [5.0, 5.2],
            [5.2, 5.0],
            [5.1, 5.1],
            [5.3, 5.3],
            [0.45, 0.0],
        ]
    )
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    return X, y


def test_difficult_samples_on_a_hand_built_example(hand_built, fast):
    X, y = hand_built
    difficult = difficult_sample_mask(X, y, n_neighbors=2)
    # 1 has the majority point 8 among its 2 neighbours; 2 lives among majority.
    assert np.flatnonzero(difficult[y == 0]).tolist() == [1, 2]
    assert difficult[y == 0].mean() == difficult_sample_ratio(
        X, y, minority_class=0, n_neighbors=2
    )
    sampler = MISOSampler(**fast, k_neighbors=2).fit(X, y)
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.difficult_indices_[0].tolist() == [1, 2]
    assert sampler.difficult_share_[0] == pytest.approx(0.5)
    assert set(sampler.anchor_sources_.tolist()) <= {1, 2}
    assert len(sampler.anchor_sources_) == sampler.n_generated_[0] == 1
    assert X_res.shape == (10, 2) and y_res.tolist()[-1] == 0


def test_sampling_strategy_counts_are_met_exactly_in_multiclass(fast):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = np.array(["a"] * 40 + ["b"] * 15 + ["c"] * 5)
    X[y == "c"] += 0.5
    sampler = MISOSampler(**fast, sampling_strategy={"b": 30, "c": 22})
    X_res, y_res = sampler.fit_resample(X, y)
    labels, counts = np.unique(y_res, return_counts=True)
    assert dict(zip(labels, counts)) == {"a": 40, "b": 30, "c": 22}
    assert sampler.n_generated_ == {"b": 15, "c": 17}
    np.testing.assert_array_equal(X_res[:60], X)
    # Each anchor comes from a sample of its own class.
    np.testing.assert_array_equal(y[sampler.anchor_sources_], y_res[60:])
    assert np.all(np.isfinite(X_res))


def test_numeric_anchors_keep_dtype_and_repeat_with_the_seed(fast):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array([0] * 32 + [1] * 8)
    first = MISOSampler(**fast).fit_resample(X, y)[0]
    second = MISOSampler(**fast).fit_resample(X, y)[0]
    assert first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    # Anchors are new vectors, not copies of the inputs.
    assert not np.any(np.all(np.isclose(first[40:, None], X[None]), axis=-1))


def test_works_in_a_pipeline_under_grid_search(fast):
    rng = np.random.RandomState(2)
    X = np.vstack([rng.normal(size=(40, 3)), rng.normal(1.5, size=(10, 3))])
    y = np.array([0] * 40 + [1] * 10)
    pipeline = Pipeline([("miso", MISOSampler(**fast)), ("clf", LogisticRegression())])
    search = GridSearchCV(pipeline, {"miso__k_neighbors": [3, 5]}, cv=2).fit(X, y)
    assert search.best_params_["miso__k_neighbors"] in (3, 5)
    assert clone(pipeline).get_params()["miso__latent_dim"] == 8


@pytest.mark.parametrize(
    ("X", "error"),
    [
        (np.array([[0.0, np.nan]] * 10), "NaN"),
        (np.array([[0.0, np.inf]] * 10), "infinity"),
    ],
)
def test_invalid_numeric_input_is_refused(X, error, fast):
    with pytest.raises(ValueError, match=error):
        MISOSampler(**fast).fit_resample(X, [0] * 7 + [1] * 3)


def test_tfidf_input_gives_sparse_non_negative_anchors(fast):
    texts = SPAM * 3 + HAM * 3
    y = np.array([1] * 9 + [0] * 30)
    X = TfidfVectorizer().fit_transform(texts)
    sampler = MISOSampler(**fast)
    X_res, y_res = sampler.fit_resample(X, y)
    assert sp.issparse(X_res) and X_res.format == X.format
    assert X_res.dtype == X.dtype and X_res.shape == (60, X.shape[1])
    assert (X_res[:39] != X).nnz == 0
    assert X_res.min() >= 0  # MultinomialNB's input stays valid
    # An anchor re-weights the words of its source and adds none.
    for anchor, source in zip(X_res[39:], X[sampler.anchor_sources_]):
        assert set(anchor.indices) <= set(source.indices)
    assert (X_res[39:] != X[sampler.anchor_sources_]).nnz > 0
    assert np.unique(y_res, return_counts=True)[1].tolist() == [30, 30]


def test_imbalanced_learn_topic_recipe_with_tfidf_then_miso(fast):
    texts = SPAM * 3 + HAM * 3
    y = np.array([1] * 9 + [0] * 30)
    pipeline = make_pipeline(TfidfVectorizer(), MISOSampler(**fast), MultinomialNB())
    assert pipeline.fit(texts, y).score(texts, y) > 0.9
    assert pipeline[1].n_generated_ == {1: 21}  # the sampler ran in fit


def test_raw_text_recipe_with_miso_then_tfidf(fast_text):
    y = np.array([1] * 6 + [0] * 20)
    texts = SPAM * 2 + HAM * 2
    pipeline = make_pipeline(
        MISOSampler(**fast_text), TfidfVectorizer(), MultinomialNB()
    )
    assert pipeline.fit(texts, y).score(texts, y) > 0.9
    assert pipeline[0].n_generated_ == {1: 14}


def _unit_norm_clusters(seed):
    # Two overlapping clusters on the unit sphere, as sentence embeddings are.
    rng = np.random.RandomState(seed)
    centre = rng.normal(size=16)
    X = np.vstack(
        [centre + rng.normal(size=(80, 16)), centre + 0.6 + rng.normal(size=(12, 16))]
    )
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.array([0] * 80 + [1] * 12)


def test_numeric_anchors_live_on_the_data_scale(fast):
    X, y = _unit_norm_clusters(0)
    sampler = MISOSampler(**fast)
    X_res, _ = sampler.fit_resample(X, y)
    anchors = X_res[len(X) :]
    nearest = NearestNeighbors(n_neighbors=1).fit(X)
    smote = SMOTE(random_state=0).fit_resample(X, y)[0][len(X) :]
    assert nearest.kneighbors(anchors)[0].mean() <= 1.5 * (
        nearest.kneighbors(smote)[0].mean()
    )
    assert np.linalg.norm(anchors, axis=1).mean() == pytest.approx(1.0, abs=0.1)
    # Within each feature's range (up to the float32 the generator computes in).
    assert np.all((anchors >= X.min(0) - 1e-6) & (anchors <= X.max(0) + 1e-6))


def test_numeric_anchors_move_off_their_sources(fast):
    X, y = _unit_norm_clusters(1)
    sampler = MISOSampler(**fast)
    anchors = sampler.fit_resample(X, y)[0][len(X) :]
    offsets = np.linalg.norm(anchors - X[sampler.anchor_sources_], axis=1)
    assert np.all(offsets > 0)


def test_width_must_split_into_heads(fast):
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="multiple of n_heads"):
        MISOSampler(**{**fast, "latent_dim": 9}).fit_resample(X, [0] * 7 + [1] * 3)


def test_a_class_with_one_sample_is_named_not_copied(fast, fast_text):
    texts = HAM + SPAM[:1]
    with pytest.raises(ValueError, match=r"Class 1 has 1 sample.*k_neighbors \+ 1"):
        MISOSampler(**fast_text).fit_resample(texts, [0] * len(HAM) + [1])
    # Left out of the strategy, the class is kept as it is.
    X = np.random.RandomState(0).normal(size=(12, 2))
    y = [0] * 8 + [1] * 3 + [2]
    _, y_res = MISOSampler(**fast, sampling_strategy={1: 8}).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [8, 8, 1]


def test_more_neighbours_than_samples_is_refused(fast):
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="k_neighbors=10 needs more samples"):
        MISOSampler(**{**fast, "k_neighbors": 10}).fit_resample(X, [0] * 7 + [1] * 3)


@pytest.fixture(scope="module")
def text_result(fast_text):
    texts = HAM + SPAM
    labels = [0] * len(HAM) + [1] * len(SPAM)
    sampler = MISOSampler(**fast_text)
    return sampler, texts, labels, sampler.fit_resample(texts, labels)


def test_text_anchors_are_readable_strings_from_the_training_vocabulary(text_result):
    sampler, texts, labels, (X_res, y_res) = text_result
    assert isinstance(X_res, list) and X_res[: len(texts)] == texts
    assert y_res.count(1) == y_res.count(0) == len(HAM)
    anchors = X_res[len(texts) :]
    assert len(anchors) == sampler.n_generated_[1] == len(HAM) - len(SPAM)
    known_words = {word for text in texts for word in text.split()}
    for anchor in anchors:
        assert isinstance(anchor, str) and anchor.strip()
        assert set(anchor.split()) <= known_words
    tokenizer = load_tokenizer("tiny-bert")
    seen = np.unique(np.concatenate(tokenize(tokenizer, texts, 12)))
    # Index 0 of the compact vocabulary is padding; the rest are the seen ids.
    assert sampler.vocabulary_[0] == tokenizer.pad_token_id
    np.testing.assert_array_equal(sampler.vocabulary_[1:], seen)
    assert all(labels[i] == 1 for i in sampler.anchor_sources_)


@pytest.mark.parametrize("container", ["ndarray", "series", "dataframe"])
def test_text_output_keeps_the_container(container, fast_text):
    texts = HAM + SPAM
    labels = np.array([0] * len(HAM) + [1] * len(SPAM))
    if container == "ndarray":
        X = np.array(texts)
    elif container == "series":
        X = pd.Series(texts, name="sms")
    else:
        X = pd.DataFrame({"sms": texts, "length": [len(t) for t in texts]})
    sampler = MISOSampler(
        **fast_text, text_col="sms" if container == "dataframe" else None
    )
    X_res, y_res = sampler.fit_resample(X, labels)
    n_new = len(HAM) - len(SPAM)
    assert len(X_res) == len(y_res) == len(texts) + n_new
    if container == "ndarray":
        assert isinstance(X_res, np.ndarray) and X_res.dtype.kind == "U"
    elif container == "series":
        assert isinstance(X_res, pd.Series) and X_res.name == "sms"
    else:
        assert list(X_res.columns) == ["sms", "length"]
        assert X_res["length"].dtype == X["length"].dtype
        # Other columns of an anchor are those of its source row.
        sources = sampler.anchor_sources_
        np.testing.assert_array_equal(
            X_res["length"].to_numpy()[len(texts) :], X["length"].to_numpy()[sources]
        )
    new_texts = X_res["sms"] if container == "dataframe" else X_res
    assert all(isinstance(t, str) and t for t in list(new_texts)[-n_new:])


def test_training_follows_the_three_phases(text_result):
    sampler = text_result[0]
    phases = [epoch["phase"] for epoch in sampler.training_history_[1]]
    assert phases == ["pretrain"] * 2 + ["mine_pretrain"] + ["adversarial"] * 2
    adversarial = sampler.training_history_[1][-1]["batches"][0]
    assert {"mi_loss", "adversarial", "discriminator"} <= set(adversarial)
    assert sampler.timings_["generation"] > 0


def _shared_words(first, second):
    return len(set(first.split()) & set(second.split()))


def test_each_anchor_follows_its_own_difficult_source(fast_text):
    # Distinct minority texts must give distinct anchors, each closer in words
    # to the source it was generated from than to the other sources: a
    # generator that ignores its source writes one text for the whole class.
    spam = [
        "win free cash now",
        "claim your prize today",
        "urgent reply to this number",
        "cheap loans for everyone",
    ]
    ham = HAM * 3
    texts, labels = ham + spam, [0] * len(ham) + [1] * len(spam)
    params = {
        **fast_text,
        # More neighbours than there are spam texts: every spam text is
        # difficult, so each is a source.
        "k_neighbors": len(ham),
        "latent_dim": 32,
        "n_heads": 4,
        "pretrain_epochs": 30,
        "adversarial_epochs": 1,
    }
    sampler = MISOSampler(**params, sampling_strategy={1: 12})
    X_res, _ = sampler.fit_resample(texts, labels)
    anchors = X_res[len(texts) :]
    sources = [texts[i] for i in sampler.anchor_sources_]
    assert len(set(sources)) == len(spam)
    assert len(set(anchors)) >= len(spam)
    closest = [
        max(spam, key=lambda source: _shared_words(anchor, source))
        for anchor in anchors
    ]
    assert np.mean([c == s for c, s in zip(closest, sources)]) >= 0.75
    for anchor in anchors:  # no word written three times in a row
        words = anchor.split()
        assert all(len({a, b, c}) > 1 for a, b, c in zip(words, words[1:], words[2:]))


def test_generator_objective_is_the_formula_on_stub_critics(monkeypatch, fast):
    """(1 − α)·L_MI + α·L_adv + rec, with L_MI = Î(K;Q̄) − Î(Q;Q̄) and α = 1/τ."""
    import torch

    from skimbtext.over_sampling import _miso_training

    def stub_critics(self, query, fused, key, bounds=None):
        # Î(Q;Q̄) = 0.3 and Î(K;Q̄) = 1.1, whatever the samples.
        return (
            torch.tensor(0.3, requires_grad=True),
            torch.tensor(1.1, requires_grad=True),
        )

    monkeypatch.setattr(
        _miso_training.MISOTrainingNet, "_mutual_information", stub_critics
    )
    X = np.random.RandomState(0).normal(size=(40, 3))
    sampler = MISOSampler(**{**fast, "pretrain_epochs": 1, "adversarial_epochs": 1})
    sampler.fit_resample(X, [0] * 30 + [1] * 10)
    alpha = 1 / 3  # τ = 30 majority / 10 minority samples
    batches = sampler.training_history_[1][-1]["batches"]
    assert batches and all("adversarial" in batch for batch in batches)
    for batch in batches:
        assert batch["mi_loss"] == pytest.approx(1.1 - 0.3)
        expected = (
            (1 - alpha) * batch["mi_loss"]
            + alpha * batch["adversarial"]
            + batch["reconstruction"]
        )
        assert batch["train_loss"] == pytest.approx(expected, rel=1e-5)
