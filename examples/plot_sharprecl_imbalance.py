"""
SharpReCL as the imbalance grows
================================

The made-imbalanced protocol of the SharpReCL paper: a balanced training set
is sub-sampled so that its largest class is ``imbalance_ratio`` times its
smallest (:func:`~skimbtext.datasets.make_imbalance`), while the test split
stays untouched. This example traces the macro-F1 of three classifiers as the
ratio grows:

- :class:`~skimbtext.SharpReCLClassifier` with its paper defaults (μ = 1,
  τ = 0.3, logit-adjusted cross-entropy in the classification branch);
- :class:`~skimbtext.TextClassifier` with plain cross-entropy
  (``loss="ce"``);
- :class:`~skimbtext.TextClassifier` with logit-adjusted cross-entropy
  (``loss="logit_adjusted"``, Menon et al. 2021), i.e. SharpReCL's
  classification branch alone.

All three train the same MLP body on frozen all-MiniLM-L6-v2 embeddings,
computed once. A single run per ratio on small synthetic data is noisy; the
benchmark suite (:doc:`/benchmarks`) repeats such comparisons over seeds on
real data sets.
"""

# %%
# A balanced pool and a balanced test split
# -----------------------------------------
import numpy as np
from sklearn.model_selection import train_test_split

from skimbtext import TextEmbedder
from skimbtext.datasets import make_imbalance, make_multidomain_reviews

reviews = make_multidomain_reviews(1000, class_imbalance_ratio=1.0, random_state=0)
pool, test = train_test_split(
    reviews, test_size=0.4, stratify=reviews["label"], random_state=0
)
embedder = TextEmbedder().fit(pool["text"])
X_pool, X_test = embedder.transform(pool["text"]), embedder.transform(test["text"])
y_pool, y_test = pool["label"].to_numpy(), test["label"].to_numpy()
print(f"pool: {len(pool)} reviews, test: {len(test)} reviews")

# %%
# Training sets of growing imbalance
# ----------------------------------
# ``make_imbalance`` keeps the most frequent class whole and sub-samples the
# other; with two classes, the minority keeps ``n_max / imbalance_ratio``
# samples.
from sklearn.metrics import f1_score

from skimbtext import SharpReCLClassifier, TextClassifier

ratios = [1, 5, 10, 25, 50]
models = {
    "SharpReCL": lambda: SharpReCLClassifier(
        batch_size=64, max_epochs=30, random_state=0
    ),
    "CE": lambda: TextClassifier(
        loss="ce", batch_size=64, max_epochs=30, random_state=0
    ),
    "logit-adjusted CE": lambda: TextClassifier(
        loss="logit_adjusted", batch_size=64, max_epochs=30, random_state=0
    ),
}
rows = []
for ratio in ratios:
    X_train, y_train = make_imbalance(
        X_pool, y_pool, imbalance_ratio=ratio, random_state=0
    )
    counts = dict(zip(*np.unique(y_train, return_counts=True)))
    for name, make_model in models.items():
        model = make_model().fit(X_train, y_train)
        rows.append(
            {
                "imbalance ratio": ratio,
                "model": name,
                "minority samples": int(min(counts.values())),
                "macro-F1": f1_score(y_test, model.predict(X_test), average="macro"),
            }
        )

# %%
# Results
# -------
import pandas as pd

results = pd.DataFrame(rows)
results.pivot(index="imbalance ratio", columns="model", values="macro-F1").round(3)

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, group in results.groupby("model", sort=False):
    ax.plot(group["imbalance ratio"], group["macro-F1"], marker="o", label=name)
ax.set_xscale("log")
ax.set_xticks(ratios, [str(ratio) for ratio in ratios])
ax.set_xlabel("imbalance ratio of the training set (max / min)")
ax.set_ylabel("macro-F1 on the balanced test split")
ax.legend()
fig.tight_layout()
