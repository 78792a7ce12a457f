"""Word substitution by neighbours in an encoder's input embedding table."""

import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from skimbtext.augmentation import WordSubstitution
from skimbtext.augmentation._substitution import _neighbours

TEXT = "The acting was terrible, the plot thin and the music dreadful."


def test_neighbours_come_from_minilm_embeddings():
    # MiniLM's table puts near-synonyms next to each other.
    neighbours = _neighbours("minilm", "terrible", 5, ENGLISH_STOP_WORDS)
    assert "horrible" in neighbours and "awful" in neighbours
    assert "terrible" not in neighbours
    assert len(neighbours) == 5


def test_replaces_some_content_words_keeping_punctuation_case_and_stop_words():
    augment = WordSubstitution(rate=0.5, random_state=0)
    original = TEXT.split()
    changed = 0
    for seed in range(10):
        augment.random_state = seed
        words = augment(TEXT).split()
        assert len(words) == len(original)
        for before, after in zip(original, words):
            if before.lower().strip(",.") in ENGLISH_STOP_WORDS:
                assert after == before
            # punctuation and capitalisation of the replaced word are kept
            assert after[-1:].isalpha() == before[-1:].isalpha()
            assert after[:1].isupper() == before[:1].isupper()
        changed += sum(a != b for a, b in zip(original, words))
    # 6 content words at rate 0.5, at least one per text
    assert 10 <= changed <= 50


def test_every_replacement_is_a_neighbour_of_the_word():
    augment = WordSubstitution(rate=0.99, n_candidates=3, random_state=1)
    for before, after in zip(
        "terrible dreadful music".split(), augment("terrible dreadful music").split()
    ):
        assert after in _neighbours("minilm", before, 3, ENGLISH_STOP_WORDS)


def test_at_least_one_word_changes_and_texts_without_candidates_stay():
    augment = WordSubstitution(rate=0.0, random_state=0)
    assert augment("a terrible movie") != "a terrible movie"
    assert augment("") == ""
    assert augment("the of and") == "the of and"  # stop words only
    assert augment("xqzvlk!") == "xqzvlk!"  # not a whole-word token


def test_repeatable_per_text_and_seed():
    augment = WordSubstitution(random_state=3)
    assert augment(TEXT) == augment(TEXT) == WordSubstitution(random_state=3)(TEXT)
    draws = {WordSubstitution(random_state=seed)(TEXT) for seed in range(10)}
    assert len(draws) > 5


def test_own_stop_words_and_none():
    text = "terrible music"
    kept = WordSubstitution(stop_words=["Terrible"], rate=0.99, random_state=0)
    assert kept(text).split()[0] == "terrible"
    assert kept(text).split()[1] != "music"
    everything = WordSubstitution(stop_words=None, rate=0.99, random_state=0)
    assert everything("the music").split()[0] != "the"


def test_tiny_bert_table_is_the_same_in_every_process():
    # Random embeddings, but seeded: a fit with them repeats.
    assert WordSubstitution("tiny-bert", random_state=0)(TEXT) == (
        "The audition was terrible, the plot thin and the music dreadful."
    )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"rate": 1.0}, "rate"),
        ({"n_candidates": 0}, "n_candidates"),
        ({"n_candidates": True}, "n_candidates"),
        ({"stop_words": "french"}, "stop_words"),
        ({"random_state": -1}, "random_state"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        WordSubstitution(**params)(TEXT)


def test_repr_names_every_parameter():
    assert repr(WordSubstitution(rate=0.1)) == (
        "WordSubstitution(encoder='minilm', rate=0.1, n_candidates=5, "
        "stop_words='english', random_state=None)"
    )
