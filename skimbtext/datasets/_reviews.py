"""Synthetic multi-domain, imbalanced product-review generator.

All word lists below were written for skimbtext; no data set was copied.
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._imbalance import _check_ratio

__all__ = ["make_multidomain_reviews"]

# --------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------

# Sentiment words that mean the same in every domain.
_SHARED = {
    +1: (
        "great excellent wonderful fantastic perfect amazing superb outstanding "
        "terrific lovely"
    ).split(),
    -1: (
        "awful terrible poor disappointing horrible useless mediocre dreadful "
        "pathetic bad"
    ).split(),
}

# Per domain: topic nouns, domain-specific positive and negative words.
_DOMAINS = {
    "books": (
        "novel author chapter plot story character ending writer paperback prose",
        "gripping insightful captivating moving compelling",
        "tedious shallow preachy dull clumsy",
    ),
    "dvd": (
        "movie film actor scene director sequel soundtrack cast episode dvd",
        "hilarious stunning suspenseful entertaining charming",
        "cheesy forgettable overacted lame wooden",
    ),
    "electronics": (
        "battery screen charger speaker headset cable remote camera laptop device",
        "responsive crisp reliable fast compatible",
        "glitchy laggy defective dead flimsy",
    ),
    "kitchen": (
        "blender knife pan kettle toaster mixer skillet pot grater cookware",
        "sharp sturdy nonstick efficient spotless",
        "rusty leaky warped scratched chipped",
    ),
    "toys": (
        "doll puzzle toy game truck playset plush figure kite robot",
        "educational fun colorful durable imaginative",
        "hazardous fragile unsafe frustrating broken",
    ),
    "garden": (
        "hose mower seed shovel planter sprinkler trimmer soil rake lawn",
        "lush hardy thriving weatherproof blooming",
        "wilted clogged cracked rusted leaking",
    ),
    "beauty": (
        "lotion shampoo lipstick serum cream perfume mascara moisturizer skin scent",
        "silky radiant gentle nourishing fragrant",
        "greasy itchy irritating sticky clumpy",
    ),
    "tools": (
        "drill hammer wrench saw screwdriver toolbox blade clamp sander level",
        "powerful precise ergonomic rugged accurate",
        "wobbly stripped underpowered bent jammed",
    ),
    "music": (
        "album song voice band lyric guitar track melody singer chorus",
        "catchy soulful melodic uplifting haunting",
        "repetitive generic tuneless bland grating",
    ),
    "sports": (
        "racket ball helmet glove bike treadmill shoe mat jersey dumbbell",
        "comfortable breathable supportive grippy lightweight",
        "uncomfortable slippery torn stiff chafing",
    ),
}

# Words whose polarity depends on the domain: (domains where the word is
# positive, domains where it is negative); other domains do not use it.
_FLIP_SPEC = {
    "unpredictable": (
        "books dvd music toys",
        "electronics kitchen tools garden sports beauty",
    ),
    "predictable": ("electronics kitchen tools garden sports", "books dvd music"),
    "long": ("electronics beauty tools garden", "dvd books music kitchen"),
    "light": (
        "electronics kitchen tools sports garden toys",
        "books dvd music beauty",
    ),
    "loud": ("music electronics dvd", "kitchen garden toys tools"),
    "quiet": ("kitchen garden tools toys", "music dvd electronics"),
    "heavy": ("tools books music", "electronics sports kitchen toys"),
    "dark": ("books dvd music", "electronics beauty garden"),
    "hot": ("kitchen music", "electronics beauty sports tools"),
    "simple": ("kitchen tools electronics toys garden", "books dvd music"),
    "thin": ("electronics beauty", "books sports kitchen toys"),
    "soft": ("beauty toys sports music", "tools kitchen electronics garden"),
    "intense": ("books dvd music sports", "beauty kitchen toys"),
}
# word -> {domain: +1 / -1}
_FLIP = {
    word: {**dict.fromkeys(pos.split(), 1), **dict.fromkeys(neg.split(), -1)}
    for word, (pos, neg) in _FLIP_SPEC.items()
}

# Lexicon of the generic domains "domain_<k>" beyond the named ones.
_GENERIC_NOUNS = "product item unit model version set package piece kit".split()
_SPARE = {
    +1: "handy neat classy sleek clever nifty polished dependable tidy".split(),
    -1: "shoddy clunky dodgy tacky lousy faulty sloppy cheap fiddly".split(),
}

_ADVERBS = "really very quite pretty so rather truly fairly".split()
_RELATIVES = "wife husband son daughter friend sister brother kids".split()
_TIMES = (
    "last week|last month|a while ago|for a trip|for my birthday|on sale|"
    "in the spring|before the holidays"
).split("|")
_NUMBERS = "two three four five six ten".split()

_CUE_TEMPLATES = (
    "the {n} is {c}",
    "the {n} is {a} {c}",
    "i found the {n} {c}",
    "this {n} was {c} and {c}",
    "{c} {n} overall",
    "{a} {c} {n}",
    "my {r} thought the {n} was {a} {c}",
)
_CONTRAST_TEMPLATES = (
    "but the {n} is {c}",
    "although the {n} was {a} {c}",
    "only the {n} felt {c}",
)
_OPINIONS = {
    +1: (
        "would buy again",
        "highly recommend it",
        "worth every penny",
        "five stars from me",
    ),
    -1: (
        "would not buy again",
        "sent it back",
        "save your money",
        "one star from me",
    ),
}
_NEUTRAL_TEMPLATES = (
    "i bought it {t}",
    "it arrived {t}",
    "we have used it {t}",
    "i read a few reviews before ordering",
    "the {n} came in a box",
    "i got the {n} as a gift {t}",
    "this is my second {n}",
    "shipping took {k} days",
    "i have had the {n} for {k} weeks",
    "the {n} looks like the picture",
)

_NAMED_DOMAINS = tuple(_DOMAINS)
_MIN_WORDS, _MAX_WORDS = 8, 40


def _domain_names(n_domains):
    return [
        _NAMED_DOMAINS[k] if k < len(_NAMED_DOMAINS) else f"domain_{k}"
        for k in range(n_domains)
    ]


def _domain_lexicon(name, k):
    """Topic nouns and cue words ``{+1: [...], -1: [...]}`` of a domain.

    Each cue list holds (probability, words) pairs for the shared,
    domain-specific and polarity-flipping words.
    """
    if name in _DOMAINS:
        nouns, pos, neg = (s.split() for s in _DOMAINS[name])
        flips = {+1: [], -1: []}
        for word, polarities in _FLIP.items():
            if name in polarities:
                flips[polarities[name]].append(word)
    else:  # generic extra domain: deterministic rotation of spare words
        nouns = _GENERIC_NOUNS
        pos = [_SPARE[+1][(k + i) % len(_SPARE[+1])] for i in range(3)]
        neg = [_SPARE[-1][(k + i) % len(_SPARE[-1])] for i in range(3)]
        flips = {+1: [], -1: []}
        for w, word in enumerate(_FLIP):
            flips[+1 if (k + w) % 2 == 0 else -1].append(word)
    cues = {
        p: [(0.45, _SHARED[p]), (0.30, own), (0.25, flips[p])]
        for p, own in ((+1, pos), (-1, neg))
    }
    return nouns, cues


class _Draws:
    """Cheap sequential access to a pre-drawn block of uniform numbers."""

    __slots__ = ("u", "pos")

    def __init__(self, u):
        self.u = u
        self.pos = 0

    def random(self):
        value = self.u[self.pos % self.u.shape[0]]
        self.pos += 1
        return value

    def pick(self, seq):
        return seq[min(int(self.random() * len(seq)), len(seq) - 1)]


def _cue(draws, cues):
    r = draws.random()
    for weight, words in cues:
        if r < weight and words:
            return draws.pick(words)
        r -= weight
    return draws.pick(cues[0][1])  # fall back to the shared words


def _fill(template, draws, nouns, cues):
    fields = {}
    if "{n}" in template:
        fields["n"] = draws.pick(nouns)
    if "{a}" in template:
        fields["a"] = draws.pick(_ADVERBS)
    if "{r}" in template:
        fields["r"] = draws.pick(_RELATIVES)
    if "{t}" in template:
        fields["t"] = draws.pick(_TIMES)
    if "{k}" in template:
        fields["k"] = draws.pick(_NUMBERS)
    if "{c}" in template:
        # Two cue slots ("{c} and {c}") get two independent words.
        first, second = _cue(draws, cues), _cue(draws, cues)
        template = template.replace("{c}", first, 1).replace("{c}", second, 1)
    return template.format(**fields)


def _review(draws, nouns, cues, polarity):
    """Generate one review of the given polarity (+1 / -1)."""
    # Sentences have at most 9 words, so reviews stay within _MAX_WORDS.
    target = _MIN_WORDS + int(draws.random() * (32 - _MIN_WORDS))
    sentences = [_fill(draws.pick(_CUE_TEMPLATES), draws, nouns, cues[polarity])]
    n_words = len(sentences[0].split())
    while n_words < target:
        r = draws.random()
        if r < 0.40:
            sentence = _fill(draws.pick(_CUE_TEMPLATES), draws, nouns, cues[polarity])
        elif r < 0.75:
            sentence = _fill(draws.pick(_NEUTRAL_TEMPLATES), draws, nouns, cues[1])
        elif r < 0.88:
            sentence = draws.pick(_OPINIONS[polarity])
        else:
            sentence = _fill(
                draws.pick(_CONTRAST_TEMPLATES), draws, nouns, cues[-polarity]
            )
        length = len(sentence.split())
        if n_words + length > _MAX_WORDS:
            break
        sentences.append(sentence)
        n_words += length
    if n_words < _MIN_WORDS:  # pad short reviews with a neutral sentence
        sentences.append("i read a few reviews before ordering")
    return ". ".join(sentences) + "."


def _check_fraction(value, name):
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not 0 <= value <= 1
    ):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}.")
    return float(value)


def _domain_sizes(n_samples, n_domains, ratio):
    """Split ``n_samples`` into geometric domain sizes (largest remainder)."""
    if n_domains == 1:
        return np.array([n_samples])
    weights = ratio ** (-np.arange(n_domains) / (n_domains - 1))
    raw = n_samples * weights / weights.sum()
    sizes = np.floor(raw).astype(np.int64)
    remainder = n_samples - sizes.sum()
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[:remainder]] += 1
    while sizes.min() < 2:  # every domain needs both classes
        sizes[np.argmax(sizes)] -= 1
        sizes[np.argmin(sizes)] += 1
    return sizes


def make_multidomain_reviews(
    n_samples=2000,
    *,
    n_domains=6,
    domain_imbalance_ratio=10.0,
    class_imbalance_ratio=4.0,
    flip_fraction=0.0,
    noise=0.05,
    random_state=None,
    as_frame=True,
):
    """Generate synthetic imbalanced multi-domain product reviews.

    A small, fast, fully synthetic stand-in for multi-domain sentiment data
    (such as Amazon reviews) with controllable domain and class imbalance.
    Each review is a few lowercase sentences of roughly 8 to 40 words mixing

    - topic nouns of its domain (``"novel"``, ``"blender"``, ...),
    - shared sentiment words valid in every domain (``"great"``,
      ``"awful"``, ...),
    - domain-specific sentiment words (``"gripping"`` for books,
      ``"sharp"`` for kitchen, ``"laggy"`` for electronics, ...),
    - polarity-flipping words whose polarity depends on the domain
      (``"unpredictable"`` is positive for books/dvd and negative for
      electronics/kitchen; ``"long"`` is positive for electronics battery
      life and negative for a dvd that drags), which is what makes
      domain-aware models useful,
    - neutral filler sentences and, now and then, a contrasting remark of
      the opposite polarity.

    Domains are named after product categories (books, dvd, electronics,
    kitchen, toys, garden, beauty, tools, music, sports, then
    ``domain_<k>`` with a generic lexicon). The ``j``-th domain (in this
    order) gets a share of ``n_samples`` proportional to
    ``domain_imbalance_ratio ** (-j / (n_domains - 1))`` (at least 2
    reviews), so books is the largest domain. Within every domain about
    ``n / (1 + class_imbalance_ratio)`` reviews (at least 1, at most half)
    are negative and the rest positive.

    After generation, ``round(noise * n_samples)`` labels chosen uniformly at
    random are flipped (label noise); then, if ``flip_fraction > 0``, all
    labels of ``max(1, round(flip_fraction * n_domains))`` randomly chosen
    domains are inverted: the "altered" setting in which some domains
    disagree with the others (as in the DCMI paper), so there negative is
    the majority class. Rows are returned in random order. For a given
    ``random_state`` the texts do not depend on ``noise`` or
    ``flip_fraction``, and the noisy labels (flipped domains) for a smaller
    ``noise`` (``flip_fraction``) are a subset of those for a larger one.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of reviews, at least ``2 * n_domains``.
    n_domains : int, default=6
        Number of domains, at least 1.
    domain_imbalance_ratio : float, default=10.0
        Largest/smallest domain size ratio (``>= 1``), up to rounding.
    class_imbalance_ratio : float, default=4.0
        Positive/negative ratio inside each domain (``>= 1``), up to
        rounding.
    flip_fraction : float, default=0.0
        Fraction of domains (in [0, 1]) whose labels are all inverted.
    noise : float, default=0.05
        Fraction of labels (in [0, 1]) flipped uniformly at random.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.
    as_frame : bool, default=True
        Return a DataFrame rather than arrays.

    Returns
    -------
    frame : pandas.DataFrame
        If ``as_frame=True``: columns ``text``, ``label`` (``"negative"`` /
        ``"positive"``) and ``domain``; ``frame.attrs["flipped_domains"]``
        lists the inverted domains (in domain order, empty if none).
    (texts, labels, domains) : tuple of ndarray of str
        If ``as_frame=False``.

    Examples
    --------
    >>> from skimbtext.datasets import make_multidomain_reviews
    >>> df = make_multidomain_reviews(1000, n_domains=4, flip_fraction=0.25,
    ...                               random_state=0)
    >>> df.shape
    (1000, 3)
    >>> df["domain"].value_counts().to_dict()
    {'books': 562, 'dvd': 261, 'electronics': 121, 'kitchen': 56}
    >>> df.attrs["flipped_domains"]
    ['books']
    >>> texts, labels, domains = make_multidomain_reviews(
    ...     200, random_state=0, as_frame=False)
    >>> sorted(set(labels))
    ['negative', 'positive']
    """
    if (
        not isinstance(n_samples, numbers.Integral)
        or isinstance(n_samples, bool)
        or n_samples < 1
    ):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if (
        not isinstance(n_domains, numbers.Integral)
        or isinstance(n_domains, bool)
        or n_domains < 1
    ):
        raise ValueError(f"n_domains must be a positive integer, got {n_domains!r}.")
    n_samples, n_domains = int(n_samples), int(n_domains)
    if n_samples < 2 * n_domains:
        raise ValueError(
            f"n_samples={n_samples} is too small for n_domains={n_domains}: every "
            f"domain needs 2 reviews, so n_samples must be >= {2 * n_domains}."
        )
    domain_imbalance_ratio = _check_ratio(
        domain_imbalance_ratio, "domain_imbalance_ratio"
    )
    class_imbalance_ratio = _check_ratio(class_imbalance_ratio, "class_imbalance_ratio")
    flip_fraction = _check_fraction(flip_fraction, "flip_fraction")
    noise = _check_fraction(noise, "noise")

    rng = check_random_state(random_state)

    names = _domain_names(n_domains)
    sizes = _domain_sizes(n_samples, n_domains, domain_imbalance_ratio)
    polarity = np.empty(n_samples, dtype=np.int64)
    domain_idx = np.empty(n_samples, dtype=np.int64)
    start = 0
    for j, size in enumerate(sizes):
        n_neg = int(np.floor(size / (1.0 + class_imbalance_ratio) + 0.5))
        n_neg = min(max(n_neg, 1), size // 2)
        polarity[start : start + size] = -1
        polarity[start + n_neg : start + size] = 1
        domain_idx[start : start + size] = j
        start += size

    # The random draws do not depend on `noise` or `flip_fraction`, so for a
    # given random_state the texts are the same whatever their values, the
    # noisy labels grow with `noise` and the flipped domains with
    # `flip_fraction`.
    draws = _Draws(rng.random_sample(n_samples * 96))
    order = rng.permutation(n_samples)
    domain_order = rng.permutation(n_domains)
    noise_order = rng.permutation(n_samples)

    lexicons = [_domain_lexicon(name, k) for k, name in enumerate(names)]
    texts = [_review(draws, *lexicons[j], int(p)) for j, p in zip(domain_idx, polarity)]

    labels = polarity.copy()
    n_noisy = int(np.floor(noise * n_samples + 0.5))
    labels[noise_order[:n_noisy]] *= -1

    flipped = []
    if flip_fraction > 0:
        n_flip = min(n_domains, max(1, int(np.floor(flip_fraction * n_domains + 0.5))))
        flipped = np.sort(domain_order[:n_flip])
        labels[np.isin(domain_idx, flipped)] *= -1
        flipped = [names[j] for j in flipped]

    texts = np.array(texts, dtype=object)[order]
    labels = np.where(labels[order] > 0, "positive", "negative").astype(object)
    domains = np.array(names, dtype=object)[domain_idx[order]]

    if not as_frame:
        return texts, labels, domains
    frame = pd.DataFrame({"text": texts, "label": labels, "domain": domains})
    frame["text"] = frame["text"].astype(str)
    frame["label"] = frame["label"].astype(str)
    frame["domain"] = frame["domain"].astype(str)
    frame.attrs["flipped_domains"] = flipped
    return frame
