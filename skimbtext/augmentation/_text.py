"""Random word deletion and swap (the EDA operations of Wei & Zou, 2019)."""

import zlib
from numbers import Integral, Real

import numpy as np


def _check_rate(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}.")
    return float(value)


def _text_generator(random_state, text):
    """The generator of one text's augmentation: a pure function of an int
    ``random_state`` and the text, or drawn from a RandomState or fresh entropy."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    if isinstance(random_state, Integral) and random_state >= 0:
        text_key = zlib.crc32(text.encode("utf-8", errors="surrogatepass"))
        return np.random.default_rng([int(random_state), text_key])
    raise ValueError(
        "random_state must be a non-negative int, a RandomState instance or "
        f"None, got {random_state!r}."
    )


class RandomDeletionSwap:
    """Delete random words, then swap random word pairs: a text's second view.

    Two of the "easy data augmentation" operations of Wei & Zou (2019), applied in
    turn to the whitespace-separated words of a text:

    1. *random deletion*: every word is dropped with probability
       ``deletion_rate``; if all words would go, one random word is kept;
    2. *random swap*: ``max(1, round(swap_rate * n_words))`` times, two random
       distinct positions exchange their words (texts of fewer than two words are
       kept as they are).

    The result is rejoined with single spaces. The call is a pure function of the
    text and ``random_state``: with an int seed, the same text always gets the same
    augmentation (no hidden state advances between calls or fits), and different
    texts get independent draws.

    Parameters
    ----------
    deletion_rate : float, default=0.1
        Probability of deleting each word, in [0, 1).
    swap_rate : float, default=0.1
        Number of swaps per word, in [0, 1); 0 disables swapping.
    random_state : int, RandomState instance or None, default=None
        An int makes every augmentation repeatable (the per-text generator is
        seeded from this int and the text). A ``RandomState`` instance is drawn
        from at every call; None uses fresh entropy.

    References
    ----------
    J. Wei, K. Zou. "EDA: Easy Data Augmentation Techniques for Boosting
    Performance on Text Classification Tasks". EMNLP-IJCNLP 2019.

    Examples
    --------
    >>> from skimbtext.augmentation import RandomDeletionSwap
    >>> augment = RandomDeletionSwap(deletion_rate=0.3, random_state=0)
    >>> augment("the plot is thin but the acting is superb")
    'plot but the superb is'
    >>> augment("the plot is thin but the acting is superb")  # repeatable
    'plot but the superb is'
    """

    def __init__(self, deletion_rate=0.1, swap_rate=0.1, random_state=None):
        self.deletion_rate = deletion_rate
        self.swap_rate = swap_rate
        self.random_state = random_state

    def __call__(self, text):
        """Return the augmented ``text``."""
        deletion_rate = _check_rate("deletion_rate", self.deletion_rate)
        swap_rate = _check_rate("swap_rate", self.swap_rate)
        words = text.split()
        if not words:
            return text
        rng = _text_generator(self.random_state, text)
        kept = rng.random(len(words)) >= deletion_rate
        if not kept.any():
            kept[rng.integers(len(words))] = True
        words = [word for word, keep in zip(words, kept) if keep]
        if swap_rate > 0 and len(words) >= 2:
            n_swaps = max(1, round(swap_rate * len(words)))
            firsts = rng.integers(len(words), size=n_swaps)
            # A distinct partner for every swap: an offset in [1, n_words - 1].
            seconds = (firsts + rng.integers(1, len(words), size=n_swaps)) % len(words)
            for first, second in zip(firsts.tolist(), seconds.tolist()):
                words[first], words[second] = words[second], words[first]
        return " ".join(words)

    def __repr__(self):
        return (
            f"RandomDeletionSwap(deletion_rate={self.deletion_rate}, "
            f"swap_rate={self.swap_rate}, random_state={self.random_state!r})"
        )


def augment_texts(texts, augmentation):
    """Apply a ``str -> str`` augmentation to every text and check its output.

    Parameters
    ----------
    texts : sequence of str
        The original texts.
    augmentation : callable
        Maps one text to its augmented version, e.g. :class:`RandomDeletionSwap`,
        a back-translation function or a synonym substitution.

    Returns
    -------
    augmented : list of str
        One augmented text per input text, in order.

    Raises
    ------
    TypeError
        If ``augmentation`` is not callable or returns something other than a
        string.

    Examples
    --------
    >>> from skimbtext.augmentation import augment_texts
    >>> augment_texts(["Good Film", "Bad Plot"], str.lower)
    ['good film', 'bad plot']
    """
    if not callable(augmentation):
        raise TypeError(
            f"augmentation must be a callable str -> str, got {augmentation!r}."
        )
    augmented = []
    for position, text in enumerate(texts):
        result = augmentation(text)
        if not isinstance(result, str):
            raise TypeError(
                f"augmentation returned {type(result).__name__} for the text at "
                f"position {position}; it must return a str."
            )
        augmented.append(result)
    return augmented
