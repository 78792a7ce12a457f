"""Suite ``sharprecl``: SharpReCL against its baselines, and its train-step cost.

The SharpReCL protocol (Li et al., 2024): TREC and CR made long-tailed at ir=50
(classes sorted by size, counts decaying geometrically; the test split untouched),
R52 as it is (ir 2840). CR has no official split: a stratified 90/10 train/test
split with a fixed seed comes first, then the imbalance on its training part.
Every row is a :class:`SharpReCLClassifier` (the baselines through its switches),
with the same body, and is chosen by early stopping on a stratified validation
split of the training data, never on the test split. Profile ``cpu`` trains MLP
heads on frozen all-MiniLM-L6-v2 embeddings (the second view is the frozen
embedding of the augmented text; both are cached on disk); profile ``gpu``
fine-tunes MiniLM end to end.

The timing part measures the median train step (forward, loss, backward, AdamW
step) of SharpReCL against the same network trained with cross-entropy on the same
two views, at C = 2 and C = 52 classes, with the MLP body of the ``cpu`` profile.
Run again on bare 384-d features (no hidden layer), the difference of the two is
SharpReCL's own cost per step, which is set against a two-view MiniLM fine-tuning
step (the paper's setting, where the encoder dominates). On a shared CPU a MiniLM
step varies by tens of percent from run to run, far more than that difference, so
the ratio is estimated from the two parts rather than from two noisy MiniLM runs.
"""

import statistics
import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from skimbtext import TextEmbedder
from skimbtext.augmentation import RandomDeletionSwap, augment_texts
from skimbtext.classifiers._sharprecl import SharpReCLClassifier
from skimbtext.datasets import load_benchmark, make_imbalance
from skimbtext.encoders import (
    MLPEncoder,
    PadCollator,
    TransformerEncoder,
    load_encoder_model,
    load_tokenizer,
    tokenize,
)
from skimbtext.losses import make_loss
from skimbtext.losses._sharprecl import SharpReCLLoss
from skimbtext.nn._sharprecl import SharpReCLModule
from skimbtext.utils import draw_seed

from ._baselines import PROFILES
from ._report import mean_std, torch_threads, write

CONFIGS = {
    "SharpReCL": {},
    "CE": {"use_cl": False, "loss": "ce", "augmentation": None},
    "focal (γ=2)": {"use_cl": False, "loss": "focal", "augmentation": None},
    "logit-adjusted CE": {
        "use_cl": False,
        "loss": "logit_adjusted",
        "augmentation": None,
    },
    "SCLCE": {"contrastive": "scl", "loss": "ce"},
}
# Paper Table 4, run on TREC only to keep the suite short.
ABLATIONS = {
    "SharpReCL w/o SS": {"simple_sampling": False},
    "SharpReCL w/o HM": {"hard_mixup": False},
    "SharpReCL w/o SSHM": {"simple_sampling": False, "hard_mixup": False},
    "SharpReCL w/o CL": {"use_cl": False},
    "SharpReCL w/o CLS": {"use_cls": False},
}
DATASETS = {"trec": 50, "cr": 50, "r52": None}  # imbalance ratio; None: as is
CR_TEST_FRACTION = 0.1
CR_SPLIT_SEED = 0


class _RareClassSplitSharpReCL(SharpReCLClassifier):
    """Early stopping whose validation split leaves single-sample classes alone.

    R52 has a class with one training sample, which the core's stratified split
    rejects. Classes too small to split stay wholly in training; the others are
    split stratified as usual.
    """

    def _split(self, y_encoded):
        counts = np.bincount(y_encoded)
        if not self.early_stopping or counts.min() >= 2:
            return super()._split(y_encoded)
        indices = np.arange(len(y_encoded))
        splittable = counts[y_encoded] >= 2
        train, valid = train_test_split(
            indices[splittable],
            test_size=self.validation_fraction,
            stratify=y_encoded[splittable],
            random_state=self._seed,
        )
        return np.concatenate([train, indices[~splittable]]), valid


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
    return list(train.data), train.target, list(test.data), test.target


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
    for dataset, ir in DATASETS.items():
        X_train, y_train, X_test, _ = _load(dataset, data_home)
        embedder.transform(X_train + X_test)
        for seed in seeds:
            texts, _ = _training_set(X_train, y_train, ir, seed)
            augmentation = RandomDeletionSwap(random_state=draw_seed(seed))
            embedder.transform(augment_texts(list(texts), augmentation))
    return time.perf_counter() - start


def _evaluate(configs, dataset, ir, *, settings, seeds, data_home, cache_dir, device):
    X_train, y_train, X_test, y_test = _load(dataset, data_home)
    results = {}
    for name, config in configs.items():
        results[name] = []
        for seed in seeds:
            X_fit, y_fit = _training_set(X_train, y_train, ir, seed)
            clf = _RareClassSplitSharpReCL(
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
            results[name].append(
                {
                    "seed": seed,
                    "accuracy": accuracy_score(y_test, predicted),
                    "macro_f1": f1_score(y_test, predicted, average="macro"),
                    "fit_seconds": fit_seconds,
                    "epochs": clf.n_epochs_,
                    "train_size": len(y_fit),
                }
            )
            print(
                f"{dataset:5s} {name:22s} seed {seed}: macro-F1 "
                f"{results[name][-1]['macro_f1']:.3f} ({fit_seconds:.0f} s)",
                flush=True,
            )
    return results


def _median_step_ms(module, criterion, inputs, target, repeats, warmup=3):
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4)
    module.train()

    def step():
        optimizer.zero_grad()
        criterion(module(**inputs), target).mean().backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        durations.append(time.perf_counter() - start)
    return 1000 * statistics.median(durations)


def _long_tailed_target(n_classes, batch_size, generator):
    counts = np.round(1000 * 50 ** (-np.arange(n_classes) / (n_classes - 1)))
    prior = torch.as_tensor(counts / counts.sum())
    target = torch.multinomial(prior, batch_size, replacement=True, generator=generator)
    return counts, target


def step_times(
    *, body, make_inputs, n_classes_list=(2, 52), repeats=30, warmup=3, seed=0
):
    """Median train-step milliseconds of SharpReCL and of two-view CE.

    ``body()`` builds a fresh body; ``make_inputs()`` returns the batch inputs of
    both views (``aug_*`` keys for the second). Both runs share the body
    architecture, the views and the optimiser; they differ only in the branches
    and losses.
    """
    rows = []
    for n_classes in n_classes_list:
        generator = torch.Generator().manual_seed(seed)
        inputs = make_inputs()
        counts, target = _long_tailed_target(
            n_classes, len(next(iter(inputs.values()))), generator
        )
        timings = {}
        for name, use_cl in (("SharpReCL", True), ("two-view CE", False)):
            torch.manual_seed(seed)
            module = SharpReCLModule(body(), n_classes, use_cl=use_cl)
            criterion = SharpReCLLoss(
                class_counts=counts,
                classification_loss=make_loss("logit_adjusted", class_counts=counts)
                if use_cl
                else make_loss("ce", class_counts=counts),
            )
            timings[name] = _median_step_ms(
                module, criterion, inputs, target, repeats=repeats, warmup=warmup
            )
        rows.append(
            {
                "n_classes": n_classes,
                "sharprecl_ms": timings["SharpReCL"],
                "two_view_ce_ms": timings["two-view CE"],
                "ratio": timings["SharpReCL"] / timings["two-view CE"],
            }
        )
    return rows


def _feature_step_times(hidden_layer_sizes, batch_size=64, n_features=384, repeats=50):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(batch_size, n_features, generator=generator)
    noise = torch.randn(batch_size, n_features, generator=generator)
    return step_times(
        body=lambda: MLPEncoder(n_features, hidden_layer_sizes, dropout=0.1),
        make_inputs=lambda: {"features": features, "aug_features": features + noise},
        repeats=repeats,
    )


def _minilm_ce_step_ms(texts, batch_size=32, max_length=128, repeats=3):
    """Median two-view CE train step of MiniLM on ``batch_size`` texts."""
    tokenizer = load_tokenizer("minilm")
    original = tokenize(tokenizer, texts[:batch_size], max_length)
    augmented = augment_texts(texts[:batch_size], RandomDeletionSwap(random_state=0))
    augmented = tokenize(tokenizer, augmented, max_length)
    batch, _ = PadCollator(tokenizer.pad_token_id)(
        [
            ({"input_ids": ids, "aug_input_ids": aug_ids}, 0)
            for ids, aug_ids in zip(original, augmented)
        ]
    )
    counts, target = _long_tailed_target(52, batch_size, torch.Generator())
    torch.manual_seed(0)
    body = TransformerEncoder(load_encoder_model("minilm"))
    module = SharpReCLModule(body, 52, use_cl=False)
    criterion = SharpReCLLoss(class_counts=counts)
    return _median_step_ms(module, criterion, batch, target, repeats, warmup=1)


def _timing_lines(title, rows):
    lines = [
        title,
        "",
        "| C | SharpReCL step (ms) | two-view CE step (ms) | ratio |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['n_classes']} | {r['sharprecl_ms']:.1f} | {r['two_view_ce_ms']:.1f} "
        f"| {r['ratio']:.2f}× |"
        for r in rows
    ]
    return lines + [""]


def _minilm_lines(overhead_rows, encoder_ms):
    lines = [
        "SharpReCL's extra cost per step (projection heads, prototypes, mining, "
        "mixup, target sets, contrastive loss, backward and optimiser update of the "
        "heads) is the difference of the two steps on 384-d features with no "
        "hidden layer (batch 32, median of 50); against a two-view MiniLM "
        "fine-tuning step (batch 32 R52 texts × 2 views, max length 128, median "
        f"of 3): {encoder_ms:.0f} ms.",
        "",
        "| C | SharpReCL extra (ms) | share of the MiniLM step | estimated ratio |",
        "|---|---|---|---|",
    ]
    for r in overhead_rows:
        extra = r["sharprecl_ms"] - r["two_view_ce_ms"]
        lines.append(
            f"| {r['n_classes']} | {extra:.1f} | {100 * extra / encoder_ms:.2f}% "
            f"| {1 + extra / encoder_ms:.3f}× |"
        )
    return lines + [""]


def run(*, profile, seeds, data_home, cache_dir, device, ablations=True, n_threads=1):
    """Run the suite and write ``results/sharprecl_<profile>.md`` / ``.json``."""
    settings = PROFILES[profile]
    with torch_threads(n_threads):
        embed_seconds = None
        if settings["freeze_encoder"]:
            embed_seconds = embed_everything(
                seeds=seeds, data_home=data_home, cache_dir=cache_dir, device=device
            )
        raw = {}
        for dataset, ir in DATASETS.items():
            configs = dict(CONFIGS)
            if ablations and dataset == "trec":
                configs.update(ABLATIONS)
            raw[dataset] = _evaluate(
                configs,
                dataset,
                ir,
                settings=settings,
                seeds=seeds,
                data_home=data_home,
                cache_dir=cache_dir,
                device=device,
            )
        start = time.perf_counter()
        mlp_timing = _feature_step_times((256,))
        overhead_timing = _feature_step_times((), batch_size=32)
        minilm_ce_ms = _minilm_ce_step_ms(_load("r52", data_home)[0])
        timing_seconds = time.perf_counter() - start

        rows = [
            [
                dataset.upper() + ("" if ir is None else f" (ir={ir})"),
                name,
                mean_std([r["accuracy"] for r in runs]),
                mean_std([r["macro_f1"] for r in runs]),
                f"{np.mean([r['epochs'] for r in runs]):.0f}",
                f"{np.mean([r['fit_seconds'] for r in runs]):.1f}",
            ]
            for dataset, ir in DATASETS.items()
            for name, runs in raw[dataset].items()
        ]
        body = (
            "MLP body (256 hidden) on frozen all-MiniLM-L6-v2 mean-pooled embeddings"
            if settings["freeze_encoder"]
            else "MiniLM fine-tuned end to end"
        )
        notes = [
            "TREC and CR training splits made long-tailed at ir=50 (test splits "
            "untouched; CR first split 90/10 stratified with seed "
            f"{CR_SPLIT_SEED}); R52 as it is. Profile `{profile}`: {body}, batch "
            f"{settings['batch_size']}, the same for every row. Every row is "
            "SharpReCLClassifier: the baselines switch off the contrastive branch "
            "(CE, focal, logit-adjusted CE: single view) or replace it by the plain "
            "supervised contrastive loss on two views (SCLCE). SharpReCL uses its "
            "defaults (μ=1, τ=0.3, k=20, |D̃⁺|=10, |D̃⁻|=500, λ=0.5, random "
            "deletion+swap views, logit-adjusted CE). Model chosen by early "
            f"stopping (patience {settings['n_iter_no_change']}, at most "
            f"{settings['max_epochs']} epochs) on a stratified 10% validation split "
            "of the training data (R52: its single-sample class stays in "
            "training), never on the test split. Mean ± std over seeds "
            f"{list(seeds)} (the seed draws the subsample, the augmentation and "
            f"the training run). torch ran with {n_threads} thread(s).",
            "",
        ]
        if embed_seconds is not None:
            notes += [
                f"Embedding texts and augmented texts (cache fill): "
                f"{embed_seconds:.1f} s.",
                "",
            ]
        notes += _timing_lines(
            "Train-step time, MLP body (batch 64 × 2 views, 384 → 256), "
            "median of 50 steps:",
            mlp_timing,
        )
        notes += _minilm_lines(overhead_timing, minilm_ce_ms)
        notes.append(f"Timing took {timing_seconds:.0f} s.")
        return write(
            f"sharprecl_{profile}",
            title="SharpReCL and baselines on long-tailed TREC, CR and R52",
            notes=notes,
            columns=[
                "data",
                "method",
                "accuracy",
                "macro-F1",
                "epochs",
                "fit seconds",
            ],
            rows=rows,
            raw={
                "embed_seconds": embed_seconds,
                "runs": raw,
                "step_times_mlp": mlp_timing,
                "step_times_features_only": overhead_timing,
                "minilm_two_view_ce_step_ms": minilm_ce_ms,
                "profile": profile,
                "settings": settings,
                "seeds": list(seeds),
            },
            device=device,
        )
