"""Offline text augmentations: random word deletion and swap."""

from collections import Counter

import numpy as np
import pytest

from skimbtext.augmentation import RandomDeletionSwap, augment_texts

TEXT = "the plot is thin but the acting is superb and the score is lovely"


def test_same_seed_same_text_gives_the_same_augmentation():
    augment = RandomDeletionSwap(random_state=3)
    assert augment(TEXT) == augment(TEXT) == RandomDeletionSwap(random_state=3)(TEXT)
    draws = {RandomDeletionSwap(random_state=seed)(TEXT) for seed in range(10)}
    assert len(draws) > 5


def test_deletion_keeps_a_sub_multiset_of_the_words():
    augment = RandomDeletionSwap(deletion_rate=0.5, swap_rate=0.0, random_state=0)
    lengths = []
    for seed in range(20):
        augment.random_state = seed
        words = augment(TEXT).split()
        assert not Counter(words) - Counter(TEXT.split())
        # Without swaps, the kept words stay in order.
        original = TEXT.split()
        positions = iter(range(len(original)))
        assert all(any(original[p] == w for p in positions) for w in words)
        lengths.append(len(words))
    assert 4 < np.mean(lengths) < 10  # half of 14 words on average


def test_swap_only_permutes_words():
    augment = RandomDeletionSwap(deletion_rate=0.0, swap_rate=0.2, random_state=0)
    augmented = augment(TEXT)
    assert augmented != TEXT
    assert sorted(augmented.split()) == sorted(TEXT.split())
    identity = RandomDeletionSwap(deletion_rate=0.0, swap_rate=0.0, random_state=0)
    assert identity("a  text\twith   spaces") == "a text with spaces"


def test_short_and_empty_texts():
    augment = RandomDeletionSwap(deletion_rate=0.99, random_state=0)
    assert augment("") == ""
    assert augment("word") == "word"  # the last word is never deleted
    assert len(augment("two words").split()) >= 1


def test_random_state_instance_and_none_draw_fresh_augmentations():
    rng = np.random.RandomState(0)
    augment = RandomDeletionSwap(deletion_rate=0.3, random_state=rng)
    assert len({augment(TEXT) for _ in range(10)}) > 1
    assert isinstance(RandomDeletionSwap()(TEXT), str)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"deletion_rate": 1.0}, "deletion_rate"),
        ({"swap_rate": -0.1}, "swap_rate"),
        ({"random_state": -1}, "random_state"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        RandomDeletionSwap(**params)(TEXT)


def test_augment_texts_maps_and_checks_the_callable():
    assert augment_texts(("A B", "C"), str.lower) == ["a b", "c"]
    with pytest.raises(TypeError, match="position 1"):
        augment_texts(["a", "b"], lambda text: None if text == "b" else text)
    with pytest.raises(TypeError, match="callable"):
        augment_texts(["a"], "deletion_swap")
