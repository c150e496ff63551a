"""Words come at random, none again until the group is exhausted, and a new round never opens with the last one."""
from __future__ import annotations

import random

import pytest

from projects.writing_practice.frontend.practice import Practice, PracticeRefused, Word

WORDS = [Word(number, f"語{number}", "", "", f"word {number}") for number in range(1, 8)]


def test_every_word_once_per_round_in_a_random_order_never_twice_in_a_row():
    practice = Practice(1, "Seven", 10, list(WORDS))
    rng = random.Random(20)
    rounds = [[practice.next_word(rng) for _ in WORDS] for _ in range(30)]
    assert all(sorted(word.id for word in drawn) == list(range(1, 8)) for drawn in rounds)
    assert len({tuple(word.id for word in drawn) for drawn in rounds}) > 20  # not one fixed order
    sequence = [word for drawn in rounds for word in drawn]
    assert all(first != second for first, second in zip(sequence, sequence[1:]))


def test_a_one_word_group_repeats_it_and_an_empty_group_is_refused():
    single = Practice(1, "One", 10, WORDS[:1])
    assert [single.next_word().id for _ in range(3)] == [1, 1, 1]
    with pytest.raises(PracticeRefused, match="the group 'Empty' has no words to practise"):
        Practice(2, "Empty", 11, []).next_word()
