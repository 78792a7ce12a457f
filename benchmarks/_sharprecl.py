"""Suite ``sharprecl``: SharpReCL against its baselines on long-tailed text.

The SharpReCL protocol (Li et al., 2024): TREC and CR made long-tailed at
imbalance ratios 10, 20 and 50 (classes sorted by size, counts decaying
geometrically; the test split untouched), R52 and Ohsumed as they are (ir 2840
and 65). CR has no official split: a stratified 90/10 train/test split with a
fixed seed comes first, then the imbalance on its training part. Ohsumed is the
title-only variant SharpReCL uses (the ``title`` column of the shared CSV; the
TextGCN abstracts are about 190 words each). Every row is a
:class:`SharpReCLClassifier` (the baselines through its switches), with the same
body, and is chosen by early stopping on a stratified validation split of the
training data, never on the test split. Profile ``cpu`` trains MLP heads on frozen
all-MiniLM-L6-v2 embeddings (the second view is the frozen embedding of the
augmented text; both are cached on disk); profile ``gpu`` fine-tunes MiniLM end to
end. The ablations run on TREC at ir=50 only.

Macro-F1 against the imbalance ratio is drawn to
``sharprecl_<profile>_f1_vs_ir.png``. What SharpReCL costs per training step next
to plain fine-tuning is measured by the ``cost`` suite.
"""

import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from skimbtext import TextEmbedder
from skimbtext.augmentation import RandomDeletionSwap, augment_texts
from skimbtext.classifiers._sharprecl import SharpReCLClassifier
from skimbtext.datasets import load_benchmark, make_imbalance
from skimbtext.utils import draw_seed

from . import _plots
from ._baselines import PROFILES
from ._report import FitStore, figure_path, mean_std, torch_threads, write

CONFIGS = {
    "SharpReCL": {},
    "CE": {"use_cl": False, "loss": "ce", "augmentation": None},
    "focal (γ=2)": {"use_cl": False, "loss": "focal", "augmentation": None},
    "dice (α=0.1)": {"use_cl": False, "loss": "dice", "augmentation": None},
    "logit-adjusted CE": {
        "use_cl": False,
        "loss": "logit_adjusted",
        "augmentation": None,
    },
    "SCLCE": {"contrastive": "scl", "loss": "ce"},
}
# Paper Table 4, run on TREC at ir=50 only to keep the suite short.
ABLATIONS = {
    "SharpReCL w/o SS": {"simple_sampling": False},
    "SharpReCL w/o HM": {"hard_mixup": False},
    "SharpReCL w/o SSHM": {"simple_sampling": False, "hard_mixup": False},
    "SharpReCL w/o CL": {"use_cl": False},
    "SharpReCL w/o CLS": {"use_cls": False},
}
# Imbalance ratios of each data set; None: as it is.
DATASETS = {
    "trec": (10, 20, 50),
    "cr": (10, 20, 50),
    "r52": (None,),
    "ohsumed": (None,),
}
ABLATION_SETTING = ("trec", 50)
# Profiles that run a part of the suite: the data sets and ratios, and the rows.
SCOPES = {
    "cpu-finetune": {
        # In this order: the hardest ratio of both data sets first.
        "settings": (("trec", 50), ("cr", 50), ("trec", 10), ("cr", 10)),
        "configs": {
            **{
                name: CONFIGS[name]
                for name in ("SharpReCL", "CE", "logit-adjusted CE", "SCLCE")
            },
            # SharpReCL's contrastive branch over a plain cross-entropy
            # classifier: on fine-tuned TREC, logit adjustment hurts CE.
            "SharpReCL, CE branch": {"loss": "ce"},
            # The paper's kind of second view (word substitution), offline.
            "SharpReCL, substitution view": {"augmentation": "substitution"},
        },
    },
}
# The text column of each data set, where it is not ``text``.
TEXT_COLUMNS = {"ohsumed": "title"}
CR_TEST_FRACTION = 0.1
CR_SPLIT_SEED = 0


def _load(dataset, data_home):
    """Training and test texts and labels; CR is split here (fixed seed)."""
    if dataset == "cr":
        data = load_benchmark("cr", data_home=data_home)
        X_train, X_test, y_train, y_test = train_test_split(
            list(data.data),
            np.asarray(data.target),
            test_size=CR_TEST_FRACTION,
            stratify=data.target,
            random_state=CR_SPLIT_SEED,
        )
        return X_train, y_train, X_test, y_test
    train = load_benchmark(dataset, subset="train", data_home=data_home)
    test = load_benchmark(dataset, subset="test", data_home=data_home)
    column = TEXT_COLUMNS.get(dataset, "text")
    return (
        train.frame[column].tolist(),
        train.target,
        test.frame[column].tolist(),
        test.target,
    )


def _training_set(X_train, y_train, ir, seed):
    if ir is None:
        return X_train, np.asarray(y_train)
    return make_imbalance(X_train, y_train, imbalance_ratio=ir, random_state=seed)


def embed_everything(*, seeds, data_home, cache_dir, device):
    """Fill the embedding cache: every text and every seed's augmented texts.

    The estimator augments with ``RandomDeletionSwap(random_state=draw_seed(
    random_state))``, a pure function of the text; embedding the same strings here
    means the fits only read the cache. Returns the seconds spent.
    """
    start = time.perf_counter()
    embedder = TextEmbedder(cache_dir=cache_dir, device=device).fit(["warm-up"])
    for dataset, ratios in DATASETS.items():
        X_train, y_train, X_test, _ = _load(dataset, data_home)
        embedder.transform(X_train + X_test)
        for ir in ratios:
            for seed in seeds:
                texts, _ = _training_set(X_train, y_train, ir, seed)
                augmentation = RandomDeletionSwap(random_state=draw_seed(seed))
                embedder.transform(augment_texts(list(texts), augmentation))
    return time.perf_counter() - start


def _evaluate(
    configs, dataset, ir, *, settings, seeds, data_home, cache_dir, device, store
):
    X_train, y_train, X_test, y_test = _load(dataset, data_home)
    results = {name: [] for name in configs}
    # Seed by seed, every row: a run stopped early still compares the rows.
    for seed in seeds:
        for name, config in configs.items():

            def fit():
                return _fit_and_score(
                    config,
                    settings,
                    X_train,
                    y_train,
                    X_test,
                    y_test,
                    ir,
                    seed,
                    cache_dir,
                    device,
                )

            result = store.get((dataset, _setting(ir), name, seed), fit)
            if result is None:
                continue
            results[name].append(result)
            print(
                f"{dataset:7s} ir={ir} {name:22s} seed {seed}: macro-F1 "
                f"{result['macro_f1']:.3f} ({result['fit_seconds']:.0f} s)",
                flush=True,
            )
    return results


def _fit_and_score(
    config, settings, X_train, y_train, X_test, y_test, ir, seed, cache_dir, device
):
    X_fit, y_fit = _training_set(X_train, y_train, ir, seed)
    clf = SharpReCLClassifier(
        **settings,
        **config,
        cache_dir=cache_dir,
        device=device,
        random_state=seed,
    )
    start = time.perf_counter()
    clf.fit(X_fit, y_fit)
    fit_seconds = time.perf_counter() - start
    predicted = clf.predict(X_test)
    return {
        "seed": seed,
        "accuracy": accuracy_score(y_test, predicted),
        "macro_f1": f1_score(y_test, predicted, average="macro"),
        "fit_seconds": fit_seconds,
        "epochs": clf.n_epochs_,
        "train_size": len(y_fit),
    }


def _setting(ir):
    return "as is" if ir is None else str(ir)


def _label(dataset, setting):
    return dataset.upper() + ("" if setting == "as is" else f" (ir={setting})")


def run(
    *,
    profile,
    seeds,
    data_home,
    cache_dir,
    device,
    ablations=True,
    n_threads=1,
    stored_only=False,
):
    """Run the suite and write ``results/sharprecl_<profile>.md`` / ``.json``.

    A profile with a scope (``cpu-finetune``) runs its part of the suite in
    chunks: its fits are stored one by one (:class:`~benchmarks._report.FitStore`),
    and a later run resumes where the last one stopped.
    """
    settings = PROFILES[profile]
    scope = SCOPES.get(profile)
    pairs = (
        [(dataset, ir) for dataset, ratios in DATASETS.items() for ir in ratios]
        if scope is None
        else scope["settings"]
    )
    chosen = CONFIGS if scope is None else scope["configs"]
    ablations = ablations and scope is None
    store = FitStore(
        f"sharprecl_{profile}", stored_only=stored_only, persist=scope is not None
    )
    with torch_threads(n_threads):
        embed_seconds = None
        if settings["trainable_layers"] == 0:
            embed_seconds = embed_everything(
                seeds=seeds, data_home=data_home, cache_dir=cache_dir, device=device
            )
        raw = {}
        for dataset, ir in pairs:
            configs = dict(chosen)
            if ablations and (dataset, ir) == ABLATION_SETTING:
                configs.update(ABLATIONS)
            raw.setdefault(dataset, {})[_setting(ir)] = _evaluate(
                configs,
                dataset,
                ir,
                settings=settings,
                seeds=seeds,
                data_home=data_home,
                cache_dir=cache_dir,
                device=device,
                store=store,
            )
    rows = [
        [
            _label(dataset, setting),
            name,
            mean_std([r["accuracy"] for r in runs]),
            mean_std([r["macro_f1"] for r in runs]),
            f"{np.mean([r['epochs'] for r in runs]):.0f}" if runs else "–",
            f"{np.mean([r['fit_seconds'] for r in runs]):.1f}" if runs else "–",
            len(runs),
        ]
        for dataset, by_setting in raw.items()
        for setting, by_method in by_setting.items()
        for name, runs in by_method.items()
    ]
    body = {
        0: "MLP body (256 hidden) on frozen all-MiniLM-L6-v2 mean-pooled embeddings",
        None: "MiniLM fine-tuned end to end",
    }.get(
        settings["trainable_layers"],
        f"the top {settings['trainable_layers']} layers of MiniLM trained (the "
        f"frozen layers' token states computed once per text), max_length "
        f"{settings.get('max_length')}, lr {settings.get('lr')}",
    )
    scope_note = []
    if scope is not None:
        scope_note = [
            f"Profile `{profile}` runs part of the suite: "
            f"{', '.join(f'{d.upper()} at ir={r}' for d, r in pairs)}, "
            f"rows {', '.join(chosen)}; its fits are stored one by one and the "
            "suite resumes where it stopped. *seeds*: fits stored so far.",
            "",
        ]
    notes = [
        *scope_note,
        "TREC and CR training splits made long-tailed at ir=10, 20 and 50 (test "
        "splits untouched; CR first split 90/10 stratified with seed "
        f"{CR_SPLIT_SEED}); R52 and Ohsumed (titles, 23 classes, ir 65) as they "
        f"are. Profile `{profile}`: {body}, batch {settings['batch_size']}, the "
        "same for every row. Every row is SharpReCLClassifier: the baselines "
        "switch off the contrastive branch (CE, focal, dice, logit-adjusted CE: "
        "single view) or replace it by the plain supervised contrastive loss on "
        "two views (SCLCE). SharpReCL uses its defaults (μ=1, τ=0.3, k=20, "
        "|D̃⁺|=10, |D̃⁻|=500, λ=0.5, random deletion+swap views, logit-adjusted "
        "CE). The ablations (paper Table 4) run on TREC at ir=50 only. Model "
        f"chosen by early stopping (patience {settings['n_iter_no_change']}, at "
        f"most {settings['max_epochs']} epochs) on a stratified 10% validation "
        "split of the training data (R52: its single-sample class stays in "
        "training), never on the test split. Mean ± std over seeds "
        f"{list(seeds)} (the seed draws the subsample, the augmentation and the "
        f"training run). torch ran with {n_threads} thread(s).",
        "",
        "Train-step time and memory next to plain fine-tuning: see the `cost` suite.",
        "",
    ]
    if embed_seconds is not None:
        notes += [
            f"Embedding texts and augmented texts (cache fill): {embed_seconds:.1f} s.",
            "",
        ]
    stem = f"sharprecl_{profile}"
    results = {
        "embed_seconds": embed_seconds,
        "runs": raw,
        "profile": profile,
        "settings": settings,
        "seeds": list(seeds),
        "n_threads": n_threads,
    }
    return write(
        stem,
        title="SharpReCL and baselines on long-tailed TREC, CR, R52 and Ohsumed",
        notes=notes,
        columns=[
            "data",
            "method",
            "accuracy",
            "macro-F1",
            "epochs",
            "fit seconds",
            "seeds",
        ],
        rows=rows,
        raw=results,
        device=device,
        figures=draw(results, stem),
    )


def draw(results, stem):
    """Macro-F1 against the imbalance ratio; returns ``(what, caption)`` pairs."""
    panels = {}
    for dataset, by_setting in results["runs"].items():
        ratios = [setting for setting in by_setting if setting != "as is"]
        if len(ratios) < 2:
            continue
        panels[dataset.upper()] = {
            name: {
                int(setting): [r["macro_f1"] for r in by_setting[setting][name]]
                for setting in ratios
            }
            for name in next(iter(by_setting.values()))
        }
    _plots.curves(
        figure_path(stem, "f1_vs_ir"),
        panels,
        xlabel="imbalance ratio of the training split",
        ylabel="test macro-F1",
    )
    return [
        (
            "f1_vs_ir",
            "Test macro-F1 against the imbalance ratio (mean ± std over seeds)",
        )
    ]
