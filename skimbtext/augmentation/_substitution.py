"""Word substitution by neighbours in an encoder's input embedding table."""

import re
from functools import lru_cache
from numbers import Integral

import numpy as np

from ._text import _check_rate, _text_generator

# Leading punctuation, the word itself, trailing punctuation.
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", flags=re.DOTALL)


@lru_cache(maxsize=2)
def _embedding_table(encoder):
    """Whole-word alphabetic tokens of ``encoder``'s vocabulary and their unit
    input embeddings: the candidates of a substitution."""
    import torch

    from ..encoders import load_encoder_model, load_tokenizer
    from ..utils import torch_random_context

    tokenizer = load_tokenizer(encoder)
    # "tiny-bert" is initialised at random: seed it so that its neighbours, like
    # those of a pretrained table, are the same in every process.
    with torch_random_context(0, torch.device("cpu")):
        model = load_encoder_model(encoder)
    weights = model.get_input_embeddings().weight.detach().float().numpy()
    vocabulary = tokenizer.get_vocab()
    words = sorted(
        (token for token in vocabulary if token.isalpha() and token.islower()),
        key=vocabulary.get,
    )
    table = weights[[vocabulary[word] for word in words]]
    table /= np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    return {word: row for row, word in enumerate(words)}, words, table


@lru_cache(maxsize=65536)
def _neighbours(encoder, word, n_candidates, stop_words):
    rows, words, table = _embedding_table(encoder)
    similarity = table @ table[rows[word]]
    similarity[rows[word]] = -np.inf
    similarity[[rows[w] for w in stop_words if w in rows]] = -np.inf
    best = np.argpartition(-similarity, n_candidates)[:n_candidates]
    best = best[np.argsort(-similarity[best], kind="stable")]
    return tuple(words[i] for i in best)


def _stop_words(stop_words):
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ValueError(
                "stop_words must be 'english', a collection of words or None, "
                f"got {stop_words!r}."
            )
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return ENGLISH_STOP_WORDS
    return frozenset(word.lower() for word in stop_words)


def _match_case(word, template):
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class WordSubstitution:
    """Replace random words by near neighbours in an encoder's embedding table.

    An offline stand-in for the contextual word substitution of the SharpReCL
    paper's second view (there, a masked language model proposes each new word).
    Here a word's candidates are the ``n_candidates`` whole-word tokens nearest
    to it (cosine) in the input embedding table of ``encoder``, e.g. MiniLM's
    "terrible" → "horrible", "awful", "dreadful". Every word whose lower-cased
    form is a whole-word token of the vocabulary is replaced with probability
    ``rate`` (at least one such word per text, as ``aug_min=1`` in the authors'
    augmentation), by a random candidate; punctuation around the word and its
    capitalisation are kept. Stop words are neither replaced nor proposed
    (function words have no useful neighbours: "the" → "to"), and words the
    vocabulary splits into pieces stay as they are.

    Neighbours in an embedding table are related words, not synonyms: an
    antonym ("good" → "bad") or another question word ("what" → "which") can
    come up, as with a language model's proposals (question words are stop
    words, so TREC's "what" or "who" stay). Keep ``rate`` small.

    Parameters
    ----------
    encoder : str or path-like, default="minilm"
        Whose input embeddings give the neighbours: ``"minilm"``, ``"tiny-bert"``
        (random embeddings, for tests) or a local Hugging Face directory. Read
        from disk once per process; nothing is downloaded.
    rate : float, default=0.2
        Probability of replacing each eligible word, in [0, 1) (``aug_p=0.2`` in
        the authors' augmentation).
    n_candidates : int, default=5
        Nearest tokens a replacement is drawn from.
    stop_words : "english", collection of str or None, default="english"
        Words never replaced nor proposed: scikit-learn's English list
        (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``), your own
        words, or None for none.
    random_state : int, RandomState instance or None, default=None
        An int makes every augmentation repeatable (the per-text generator is
        seeded from this int and the text), as in
        :class:`RandomDeletionSwap`.

    See Also
    --------
    RandomDeletionSwap : Word deletion and swap, without a model.

    References
    ----------
    H. Tian et al. "SharpReCL: Prototype-Guided Simple-Sampling and Hard-Mixup
    for Rebalanced Contrastive Learning". 2024.

    Examples
    --------
    >>> from skimbtext.augmentation import WordSubstitution
    >>> augment = WordSubstitution(rate=0.5, random_state=1)
    >>> augment("A terrible movie, truly.")
    'A horrific movie, truly.'
    >>> augment("A terrible movie, truly.")  # repeatable
    'A horrific movie, truly.'
    """

    def __init__(
        self,
        encoder="minilm",
        rate=0.2,
        n_candidates=5,
        stop_words="english",
        random_state=None,
    ):
        self.encoder = encoder
        self.rate = rate
        self.n_candidates = n_candidates
        self.stop_words = stop_words
        self.random_state = random_state

    def __call__(self, text):
        """Return the augmented ``text``."""
        rate = _check_rate("rate", self.rate)
        n_candidates = self.n_candidates
        if (
            isinstance(n_candidates, bool)
            or not isinstance(n_candidates, Integral)
            or n_candidates < 1
        ):
            raise ValueError(
                f"n_candidates must be a positive int, got {n_candidates!r}."
            )
        stop_words = _stop_words(self.stop_words)
        rows, _, _ = _embedding_table(self.encoder)
        words = text.split()
        parts = [_WORD.match(word).groups() for word in words]
        eligible = [
            i
            for i, (_, core, _) in enumerate(parts)
            if core.lower() in rows and core.lower() not in stop_words
        ]
        if not eligible:
            return text
        rng = _text_generator(self.random_state, text)
        chosen = [i for i in eligible if rng.random() < rate]
        if not chosen:
            chosen = [eligible[rng.integers(len(eligible))]]
        n_candidates = min(int(n_candidates), len(rows) - 1 - len(stop_words))
        for i in chosen:
            before, core, after = parts[i]
            candidates = _neighbours(
                self.encoder, core.lower(), n_candidates, stop_words
            )
            new = candidates[rng.integers(len(candidates))]
            words[i] = before + _match_case(new, core) + after
        return " ".join(words)

    def __repr__(self):
        return (
            f"WordSubstitution(encoder={self.encoder!r}, rate={self.rate}, "
            f"n_candidates={self.n_candidates}, stop_words={self.stop_words!r}, "
            f"random_state={self.random_state!r})"
        )
