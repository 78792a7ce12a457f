"""
Tuning μ, τ and λ with GridSearchCV
===================================

The weights and temperatures of the methods are plain constructor parameters,
so scikit-learn's :class:`~sklearn.model_selection.GridSearchCV` tunes them
like any other hyper-parameter. This example tunes

- the contrastive weight ``mu`` (μ) and temperature ``temperature`` (τ) of
  :class:`~skimbtext.SharpReCLClassifier`, scored by macro-F1;
- the contrastive weight ``lambda_con`` (λ₂) of
  :class:`~skimbtext.DCMIClassifier`, scored by the ROC-AUC averaged over
  domains,

and reads ``cv_results_`` into pandas tables and a plot.

The texts are embedded once with a frozen all-MiniLM-L6-v2
(:class:`~skimbtext.TextEmbedder`); the estimators then train their MLP body on
these features, which is what ``trainable_layers=0`` does internally, without
embedding the texts again in every fold.
"""

# %%
# Data and features
# -----------------
# Synthetic reviews from six product domains of very different sizes, with
# about six positive reviews for every negative one.
import numpy as np
import pandas as pd

from skimbtext import TextEmbedder
from skimbtext.datasets import make_multidomain_reviews

reviews = make_multidomain_reviews(
    700, class_imbalance_ratio=6.0, domain_imbalance_ratio=5.0, random_state=0
)
X = TextEmbedder().fit_transform(reviews["text"])
y = reviews["label"].to_numpy()
print(X.shape)
print(reviews["label"].value_counts().to_dict())

# %%
# SharpReCL: μ and τ
# ------------------
# ``mu=0`` switches the contrastive loss off (the classification branch alone,
# trained with logit-adjusted cross-entropy); τ then has no effect. The grid is
# kept small so that the example runs in about a minute on a CPU; the paper
# tried τ in {0.3, 0.5, 1}.
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skimbtext import SharpReCLClassifier

cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
sharprecl_search = GridSearchCV(
    SharpReCLClassifier(batch_size=64, max_epochs=8, n_negatives=100, random_state=0),
    param_grid={"mu": [0.0, 0.5, 1.0], "temperature": [0.3, 1.0]},
    scoring="f1_macro",
    cv=cv,
)
sharprecl_search.fit(X, y)
print("best:", sharprecl_search.best_params_)

# %%
# ``cv_results_`` is a dict of arrays, one entry per parameter combination; a
# DataFrame makes it readable.
results = pd.DataFrame(sharprecl_search.cv_results_)
table = results[
    ["param_mu", "param_temperature", "mean_test_score", "std_test_score"]
].sort_values("mean_test_score", ascending=False)
table.round(3)

# %%
# Or pivoted into a μ × τ grid:
grid = table.pivot(
    index="param_mu", columns="param_temperature", values="mean_test_score"
)
grid.round(3)

# %%
# DCMI: λ_con with a domain-aware scorer
# --------------------------------------
# The domains travel with the features: a DataFrame of the embedding columns
# plus a ``domain`` column, named by ``domain_col``, is split by the
# cross-validation like any other ``X``. The scorer reads the domains from the
# same DataFrame to compute the ROC-AUC averaged over domains.
from skimbtext import DCMIClassifier
from skimbtext.metrics import domain_roc_auc_score

X_domains = pd.DataFrame(X, columns=[f"e{i}" for i in range(X.shape[1])])
X_domains["domain"] = reviews["domain"].to_numpy()


def domain_auc(estimator, X, y):
    """Domain-macro ROC-AUC of the positive class (``classes_[1]``)."""
    proba = estimator.predict_proba(X)[:, 1]
    return domain_roc_auc_score(y, proba, X["domain"])


dcmi_search = GridSearchCV(
    DCMIClassifier(domain_col="domain", max_epochs=15, random_state=0),
    param_grid={"lambda_con": [0.0, 0.3, 1.0, 3.0]},
    scoring=domain_auc,
    cv=cv,
)
dcmi_search.fit(X_domains, y)
print("best:", dcmi_search.best_params_)

# %%
# Plotting the scores
# -------------------
# Mean cross-validated score of every combination with its standard deviation
# over the folds.
import matplotlib.pyplot as plt

dcmi_results = pd.DataFrame(dcmi_search.cv_results_)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
for temperature, group in results.groupby("param_temperature"):
    left.errorbar(
        group["param_mu"].astype(float),
        group["mean_test_score"],
        yerr=group["std_test_score"],
        marker="o",
        capsize=3,
        label=f"τ = {temperature}",
    )
left.set_xlabel("μ (weight of the contrastive loss)")
left.set_ylabel("macro-F1 (3-fold CV)")
left.set_title("SharpReCLClassifier")
left.legend()
right.errorbar(
    np.arange(len(dcmi_results)),
    dcmi_results["mean_test_score"],
    yerr=dcmi_results["std_test_score"],
    marker="o",
    capsize=3,
)
right.set_xticks(np.arange(len(dcmi_results)), dcmi_results["param_lambda_con"])
right.set_xlabel("λ_con (weight of the contrastive loss)")
right.set_ylabel("domain-macro ROC-AUC (3-fold CV)")
right.set_title("DCMIClassifier")
fig.tight_layout()

# %%
# ``best_estimator_`` is refitted on all the data with the best parameters
# (``refit=True``, the default) and ready to predict.
dcmi_search.best_estimator_
