"""
imbalanced-learn's topic recipe with MISO in the sampler slot
=============================================================

imbalanced-learn's topic-classification example builds
``make_pipeline(TfidfVectorizer(), <sampler>, MultinomialNB())`` and swaps
samplers in the middle. :class:`~skimbtext.MISOSampler` fits that slot: on the
sparse TF-IDF matrix it writes each new sample as a difficult minority sample
whose word weights are moved by a learned offset, clipped to the range of every
feature and kept on the words of the source, so the output is sparse and
non-negative, as MultinomialNB requires. It also fits *before* the
vectoriser, on the raw texts, where it writes new texts.

The data are AG News (four news topics) with ``Business`` cut to 5% of the
training set when the benchmark data are at hand (``SKIMBTEXT_DATA``);
otherwise the package's synthetic reviews stand in, with their product
category as the topic and the smallest category cut alike.
"""

# %%
# Data
# ----
import os

import numpy as np
from sklearn.model_selection import train_test_split

from skimbtext.datasets import load_benchmark, make_multidomain_reviews

if os.path.isdir(os.environ.get("SKIMBTEXT_DATA", "")):
    news = load_benchmark("ag_news")
    texts, topics, minority = np.asarray(news.data, object), news.target, "Business"
    per_topic = 300
else:
    reviews = make_multidomain_reviews(2400, n_domains=4, random_state=0)
    texts, topics = reviews["text"].to_numpy(object), reviews["domain"].to_numpy()
    minority, per_topic = "kitchen", 150

rng = np.random.RandomState(0)
train_pool, test = train_test_split(
    np.arange(len(topics)), test_size=0.3, stratify=topics, random_state=0
)
# ``per_topic`` training texts per topic, and 5% of the training set for the
# minority topic; the test split keeps every topic at its natural share.
n_minority = round(0.05 * 3 * per_topic / 0.95)
train = np.concatenate(
    [
        rng.choice(
            train_pool[topics[train_pool] == topic],
            n_minority if topic == minority else per_topic,
            replace=False,
        )
        for topic in np.unique(topics)
    ]
)
X_train, y_train = list(texts[train]), topics[train]
X_test, y_test = list(texts[test[:2000]]), topics[test[:2000]]
dict(zip(*np.unique(y_train, return_counts=True)))

# %%
# Samplers in the middle of the pipeline
# --------------------------------------
# The recipe as imbalanced-learn writes it, with each sampler in turn. MISO
# runs with its defaults.
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.naive_bayes import MultinomialNB

from skimbtext import MISOSampler


def minority_and_macro_f1(pipeline):
    predicted = pipeline.fit(X_train, y_train).predict(X_test)
    return {
        "minority F1": f1_score(y_test, predicted, labels=[minority], average=None)[0],
        "macro-F1": f1_score(y_test, predicted, average="macro"),
    }


samplers = {
    "none": None,
    "random": RandomOverSampler(random_state=0),
    "SMOTE": SMOTE(random_state=0),
    "ADASYN": ADASYN(random_state=0),
    "MISO (on TF-IDF)": MISOSampler(random_state=0),
}
rows = {}
for name, sampler in samplers.items():
    steps = [TfidfVectorizer(), MultinomialNB()]
    if sampler is not None:
        steps.insert(1, sampler)
    rows[name] = minority_and_macro_f1(make_pipeline(*steps))

# %%
# MISO on the raw texts
# ---------------------
# Placed first, MISO writes new minority texts, which the vectoriser then sees
# like any others: ``make_pipeline(MISOSampler(), TfidfVectorizer(),
# MultinomialNB())``. Text mode embeds the texts with the bundled MiniLM
# encoder to find the difficult samples and trains a small recurrent
# generator, so this is the slow row (one to two minutes on a laptop CPU).
#
# One caution with a vectoriser *after* any over-sampler of texts: fitted on
# the resampled texts, its inverse document frequencies count every new
# minority text (or copy) as one more document, so the minority's own words
# weigh less. The rows above fit the vectoriser on the original texts; so does
# this one, by taking the steps by hand (which also keeps the written texts
# for a look below).
text_miso = MISOSampler(random_state=0)
X_resampled, y_resampled = text_miso.fit_resample(X_train, y_train)
tfidf = TfidfVectorizer().fit(X_train)
predicted = (
    MultinomialNB()
    .fit(tfidf.transform(X_resampled), y_resampled)
    .predict(tfidf.transform(X_test))
)
rows["MISO (on texts)"] = {
    "minority F1": f1_score(y_test, predicted, labels=[minority], average=None)[0],
    "macro-F1": f1_score(y_test, predicted, average="macro"),
}

# %%
# Results
# -------
import pandas as pd

pd.DataFrame(rows).T.round(3)

# %%
# Three texts MISO wrote, each after the difficult training text it started
# from.
sources = text_miso.anchor_sources_
for source, anchor in list(zip(sources, X_resampled[len(X_train) :]))[:3]:
    print(f"source: {X_train[source][:120]}\nMISO:   {anchor[:120]}\n")
