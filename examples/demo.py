"""The main job: imbalanced multi-domain reviews, plain vs imbalance-aware training.

Trains two classifiers on frozen all-MiniLM-L6-v2 embeddings of the embedded
synthetic review generator (no data download, no network): one with plain
cross-entropy and one with logit-adjusted cross-entropy. Prints imbalanced-learn's
classification report for both, plus macro-F1 and the ROC-AUC averaged over domains.

Run with ``make demo`` (or ``python examples/demo.py``); a few minutes on two CPU
cores.
"""

import tempfile
import time

from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from skimbtext import TextClassifier
from skimbtext.datasets import make_multidomain_reviews
from skimbtext.metrics import classification_report_imbalanced, domain_roc_auc_score


def main():
    reviews = make_multidomain_reviews(
        2000, class_imbalance_ratio=8.0, domain_imbalance_ratio=10.0, random_state=0
    )
    train, test = train_test_split(
        reviews, test_size=0.3, stratify=reviews["label"], random_state=0
    )
    print(f"{len(train)} training and {len(test)} test reviews; training classes:")
    print(train["label"].value_counts().to_string(), "\n")

    with tempfile.TemporaryDirectory() as cache_dir:
        for loss in ("ce", "logit_adjusted"):
            clf = TextClassifier(
                loss=loss,
                freeze_encoder=True,
                cache_dir=cache_dir,  # the second model reuses the embeddings
                max_epochs=30,
                random_state=0,
            )
            start = time.perf_counter()
            clf.fit(train["text"], train["label"])
            seconds = time.perf_counter() - start
            proba = clf.predict_proba(test["text"])
            predicted = clf.classes_[proba.argmax(axis=1)]
            macro_f1 = f1_score(test["label"], predicted, average="macro")
            auc = domain_roc_auc_score(test["label"], proba, test["domain"])
            print(
                f"=== TextClassifier(loss={loss!r}, freeze_encoder=True) "
                f"fitted in {seconds:.1f} s"
            )
            print(classification_report_imbalanced(test["label"], predicted))
            print(f"macro-F1 {macro_f1:.3f}   domain-macro ROC-AUC {auc:.3f}\n")


if __name__ == "__main__":
    main()
