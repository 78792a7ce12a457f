from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression

from skimbtext import TextEmbedder


@pytest.fixture(scope="module")
def tiny_embedder():
    return TextEmbedder(encoder="tiny-bert", random_state=0).fit(["warm up"])


def test_shapes_dtype_and_order_independence(tiny_embedder):
    texts = ["a short one", "a much longer sentence with many more words in it", "mid"]
    embeddings = tiny_embedder.transform(texts)
    assert embeddings.shape == (3, 128) and embeddings.dtype == np.float32
    # Length sorting inside transform must not permute rows.
    reversed_embeddings = tiny_embedder.transform(texts[::-1])
    np.testing.assert_allclose(embeddings, reversed_embeddings[::-1], atol=1e-5)
    single = tiny_embedder.transform([texts[1]])
    np.testing.assert_allclose(single[0], embeddings[1], atol=1e-5)


def test_dataframe_text_col_and_normalize():
    frame = pd.DataFrame({"body": ["good", "bad"], "domain": ["a", "b"]})
    embedder = TextEmbedder(
        encoder="tiny-bert", text_col="body", normalize=True, random_state=0
    )
    embeddings = embedder.fit_transform(frame)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
    assert list(embedder.get_feature_names_out()[:2]) == [
        "textembedder0",
        "textembedder1",
    ]


def test_cache_returns_stored_vectors_and_is_keyed_by_encoder(tmp_path):
    texts = ["cached text", "another cached text"]
    first = TextEmbedder(encoder="tiny-bert", cache_dir=tmp_path, random_state=0)
    expected = first.fit_transform(texts)
    assert (tmp_path / "embeddings.sqlite").is_file()
    # Served from the cache: poison the encoder to prove it is not called.
    first.encoder_ = None
    np.testing.assert_array_equal(first.transform(texts), expected)
    # A differently initialised encoder must not read the first one's vectors.
    other = TextEmbedder(encoder="tiny-bert", cache_dir=tmp_path, random_state=1)
    assert not np.allclose(other.fit_transform(texts), expected)


def test_in_imblearn_pipeline_with_smote(reviews):
    pipe = Pipeline(
        [
            ("emb", TextEmbedder(encoder="tiny-bert", random_state=0)),
            ("smote", SMOTE(random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    pipe.fit(reviews["text"], reviews["label"])
    assert set(pipe.predict(reviews["text"][:20])) <= set(reviews["label"])


def test_bad_input_is_named():
    embedder = TextEmbedder(encoder="tiny-bert")
    with pytest.raises(ValueError, match="missing text"):
        embedder.fit(["fine", None])
    with pytest.raises(ValueError, match="max_length"):
        TextEmbedder(max_length=0).fit(["x"])


REFERENCE = Path(__file__).parents[1] / "data" / "minilm_sentence_transformers.npz"


def test_minilm_matches_stored_sentence_transformers_vectors():
    # Unit vectors written by sentence-transformers 6.3.0's SentenceTransformer
    # on the bundled all-MiniLM-L6-v2 (normalize_embeddings=True): our mean
    # pooling must give the same directions, with or without that package.
    stored = np.load(REFERENCE)
    texts = stored["texts"].tolist()
    ours = TextEmbedder(encoder="minilm", device="cpu").fit(texts).transform(texts)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    np.testing.assert_allclose(ours, stored["vectors"], atol=1e-5)


def test_minilm_mean_pooling_matches_sentence_transformers():
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from skimbtext.encoders import minilm_path

    texts = ["The battery lasts all day.", "A gripping novel."]
    ours = TextEmbedder(encoder="minilm", device="cpu").fit(texts).transform(texts)
    reference = sentence_transformers.SentenceTransformer(
        str(minilm_path()), device="cpu"
    ).encode(texts, normalize_embeddings=False)
    # all-MiniLM-L6-v2 ends with a Normalize module; compare directions.
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    np.testing.assert_allclose(ours, reference, atol=1e-5)
