"""The main job: imbalanced multi-domain reviews, plain vs imbalance-aware training.

Trains, on frozen all-MiniLM-L6-v2 embeddings of the embedded synthetic review
generator (no data download, no network):

- two baselines, :class:`~skimbtext.TextClassifier` with plain cross-entropy and
  with logit-adjusted cross-entropy;
- the quickstart pipeline: :class:`~skimbtext.MISOSampler` (writes new minority
  reviews) followed by :class:`~skimbtext.SharpReCLClassifier`;
- :class:`~skimbtext.DCMIClassifier`, which also reads the domain of each review.

Prints imbalanced-learn's classification report for each, what MISO found and a
few reviews it wrote beside their sources, and a summary of macro-F1 and the
ROC-AUC averaged over domains.

Run with ``make demo`` (or ``python examples/demo.py``); a few minutes on two CPU
cores. torch runs with one thread unless ``OMP_NUM_THREADS`` says otherwise.
"""

import os
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from imblearn.pipeline import Pipeline
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from skimbtext import DCMIClassifier, MISOSampler, SharpReCLClassifier, TextClassifier
from skimbtext.datasets import make_multidomain_reviews
from skimbtext.metrics import classification_report_imbalanced, domain_roc_auc_score


def build_models(cache_dir):
    """The models to compare, with the input each one reads."""
    head = {"trainable_layers": 0, "cache_dir": cache_dir, "random_state": 0}
    miso = MISOSampler(
        sampling_strategy=0.5,  # one negative review for every two positive ones
        cache_dir=cache_dir,
        max_length=32,
        batch_size=32,
        lr=3e-3,
        max_pairs=256,
        pretrain_epochs=10,
        mine_pretrain_epochs=1,
        adversarial_epochs=2,
        random_state=0,
    )
    return {
        "TextClassifier(loss='ce')": (
            TextClassifier(loss="ce", batch_size=64, max_epochs=30, **head),
            "text",
        ),
        "TextClassifier(loss='logit_adjusted')": (
            TextClassifier(loss="logit_adjusted", batch_size=64, max_epochs=30, **head),
            "text",
        ),
        "MISOSampler + SharpReCLClassifier": (
            Pipeline(
                [
                    ("miso", miso),
                    (
                        "clf",
                        SharpReCLClassifier(batch_size=64, max_epochs=15, **head),
                    ),
                ]
            ),
            "text",
        ),
        "DCMIClassifier(domain_col='domain')": (
            DCMIClassifier(
                domain_col="domain",
                text_col="text",
                max_epochs=30,
                **head,
            ),
            ["text", "domain"],
        ),
    }


def main():
    if "OMP_NUM_THREADS" not in os.environ:
        # The models here are small (MLP heads, MISO's generators): extra torch
        # threads mostly wait for one another, and far longer when the cores are
        # busy with other work. OMP_NUM_THREADS, when set, decides instead.
        torch.set_num_threads(1)
    reviews = make_multidomain_reviews(
        2000, class_imbalance_ratio=8.0, domain_imbalance_ratio=10.0, random_state=0
    )
    train, test = train_test_split(
        reviews, test_size=0.3, stratify=reviews["label"], random_state=0
    )
    print(f"{len(train)} training and {len(test)} test reviews; training classes:")
    print(train["label"].value_counts().to_string())
    print("training domains:")
    print(train["domain"].value_counts().to_string(), "\n")

    summary = []
    with tempfile.TemporaryDirectory() as cache_dir:
        # Every model embeds through the same cache: the texts are encoded once.
        for name, (model, columns) in build_models(cache_dir).items():
            start = time.perf_counter()
            model.fit(train[columns], train["label"])
            seconds = time.perf_counter() - start
            proba = model.predict_proba(test[columns])
            predicted = model.classes_[proba.argmax(axis=1)]
            macro_f1 = f1_score(test["label"], predicted, average="macro")
            auc = domain_roc_auc_score(test["label"], proba, test["domain"])
            print(f"=== {name}: fitted in {seconds:.1f} s")
            print(classification_report_imbalanced(test["label"], predicted))
            print(f"macro-F1 {macro_f1:.3f}   domain-macro ROC-AUC {auc:.3f}\n")
            if isinstance(model, Pipeline):
                show_anchors(model.named_steps["miso"], train)
            summary.append(
                {
                    "model": name,
                    "macro-F1": round(macro_f1, 3),
                    "domain-macro ROC-AUC": round(auc, 3),
                    "fit seconds": round(seconds, 1),
                }
            )
    print("=== Summary (test split)")
    print(pd.DataFrame(summary).set_index("model").to_string())


def show_anchors(miso, train, n_shown=3):
    """Print what the fitted MISOSampler found and a few reviews it wrote.

    A pipeline keeps no resampled data, so the sampler runs once more on the same
    training reviews; with its ``random_state`` it writes the same reviews.
    """
    texts = train["text"].to_numpy()
    written, _ = miso.fit_resample(train["text"], train["label"])
    written = np.asarray(written, dtype=object)[len(texts) :]
    for label, share in miso.difficult_share_.items():
        print(
            f"MISO, class {label!r}: {share:.0%} of its training reviews are "
            f"difficult; {miso.n_generated_[label]} new reviews were written from "
            f"{len(np.unique(miso.anchor_sources_))} of them. A few, each under "
            "its source:"
        )
    for source, review in zip(miso.anchor_sources_[:n_shown], written[:n_shown]):
        print(f"  source:  {texts[source]}")
        print(f"  written: {review}")
    print()


if __name__ == "__main__":
    main()
