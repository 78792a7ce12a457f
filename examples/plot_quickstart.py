"""
Quickstart: MISO over-sampling and SharpReCL in one pipeline
=============================================================

The two imbalanced-text methods of skimbtext chained in an imbalanced-learn
:class:`~imblearn.pipeline.Pipeline`:

1. :class:`~skimbtext.MISOSampler` writes new minority *texts* (anchor
   instances) for the minority reviews that overlap the majority class;
2. :class:`~skimbtext.SharpReCLClassifier` is trained on the rebalanced texts
   with its prototype-guided supervised contrastive loss.

The data is the synthetic review generator shipped with the package
(:func:`~skimbtext.datasets.make_multidomain_reviews`), so the example runs
offline. To keep it fast on a CPU, the classifier works on frozen all-MiniLM-L6-v2
embeddings (``trainable_layers=0``), both steps share one embedding cache, and
MISO trains for a few epochs only.
"""

# %%
# Imbalanced reviews
# ------------------
# 800 reviews with about ten positive reviews for every negative one; 40% are
# held out for testing. The test split keeps the same class ratio.
import tempfile

from sklearn.model_selection import train_test_split

from skimbtext.datasets import make_multidomain_reviews

reviews = make_multidomain_reviews(800, class_imbalance_ratio=10.0, random_state=0)
train, test = train_test_split(
    reviews, test_size=0.4, stratify=reviews["label"], random_state=0
)
train["label"].value_counts()

# %%
# What MISO writes
# ----------------
# :class:`~skimbtext.MISOSampler` is an imbalanced-learn sampler:
# ``fit_resample`` returns the input texts followed by the generated ones.
# ``sampling_strategy=0.5`` asks for one negative review for every two
# positive ones. It first finds the *difficult* minority samples (those with
# a majority sample among their 5 nearest neighbours in MiniLM embedding
# space), then trains a small encoder-decoder per minority class (the paper's
# Algorithm 1: pre-training, mutual-information critics, adversarial rounds)
# and decodes one anchor text per difficult source, in turn. The settings
# below shorten the training further than the defaults (batch 16, learning
# rate 3e-3, 192 pairs, 16 + 4 + 4 epochs; the paper trains with batch 64 and
# learning rate 1e-4); see :ref:`miso_user_guide`.
from skimbtext import MISOSampler

cache = tempfile.TemporaryDirectory()  # one embedding cache for every step
miso = MISOSampler(
    sampling_strategy=0.5,
    cache_dir=cache.name,
    max_length=32,
    batch_size=32,
    lr=3e-3,
    max_pairs=256,
    pretrain_epochs=10,
    mine_pretrain_epochs=1,
    adversarial_epochs=2,
    random_state=0,
)
X_resampled, y_resampled = miso.fit_resample(train["text"], train["label"])
print(f"difficult share before resampling: {miso.difficult_share_}")
print(f"anchors generated: {miso.n_generated_}")

# %%
# A few generated negative reviews, each after the difficult review it was
# generated from (``anchor_sources_`` gives its position in the input):
import textwrap

generated = X_resampled[len(train) :]
sources = train["text"].to_numpy()[miso.anchor_sources_]
wrap = textwrap.TextWrapper(width=80, subsequent_indent=" " * 8)
for source, anchor in list(zip(sources, generated))[:5]:
    print(wrap.fill(f"source: {source}"))
    print(wrap.fill(f"MISO:   {anchor}"), end="\n\n")

# %%
# The pipeline
# ------------
# In an imbalanced-learn pipeline the sampler runs in ``fit`` only; ``predict``
# goes straight to the classifier. SharpReCL uses its paper defaults (μ = 1,
# τ = 0.3, k = 20, logit-adjusted cross-entropy, word deletion/swap as the
# second view) with an MLP head on frozen embeddings; the generated texts and
# the augmented views are embedded too, the original texts come from the
# cache.
from imblearn.pipeline import Pipeline

from skimbtext import SharpReCLClassifier

sharprecl = SharpReCLClassifier(
    trainable_layers=0,
    cache_dir=cache.name,
    batch_size=64,
    max_epochs=15,
    random_state=0,
)
pipe = Pipeline([("miso", miso), ("clf", sharprecl)])
pipe.fit(train["text"], train["label"])
predicted = pipe.predict(test["text"])

# %%
# The same kind of head trained with plain cross-entropy on the imbalanced
# training set, for comparison:
from skimbtext import TextClassifier

baseline = TextClassifier(
    loss="ce",
    trainable_layers=0,
    cache_dir=cache.name,
    max_epochs=15,
    random_state=0,
)
baseline.fit(train["text"], train["label"])
baseline_predicted = baseline.predict(test["text"])

# %%
# Imbalanced classification reports
# ---------------------------------
# imbalanced-learn's report adds specificity, the geometric mean of
# sensitivity and specificity (``geo``) and the index of balanced accuracy
# (``iba``) to precision, recall and F1.
from skimbtext.metrics import classification_report_imbalanced

print("MISO + SharpReCL")
print(classification_report_imbalanced(test["label"], predicted))
print("Cross-entropy, no resampling")
print(classification_report_imbalanced(test["label"], baseline_predicted))

# %%
# Recall of each class for the two models:
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import recall_score

classes = np.unique(test["label"])
recalls = {
    "cross-entropy": recall_score(
        test["label"], baseline_predicted, labels=classes, average=None
    ),
    "MISO + SharpReCL": recall_score(
        test["label"], predicted, labels=classes, average=None
    ),
}
positions = np.arange(len(classes))
fig, ax = plt.subplots(figsize=(5, 3.2))
for offset, (name, values) in zip((-0.2, 0.2), recalls.items()):
    ax.bar(positions + offset, values, width=0.4, label=name)
ax.set_xticks(positions, classes)
ax.set_ylim(0, 1.25)
ax.set_ylabel("recall on the test split")
ax.legend(loc="upper left", ncols=2)
fig.tight_layout()

# %%
# The embedding cache was a temporary directory:
cache.cleanup()
