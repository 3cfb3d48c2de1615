"""The child's own guessing game: too high / too low, the shrinking range, the score, without a browser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bplab.explorers.base import browser_safe_traces
from bplab.explorers.high_low import (
    HIGH, LOW, MOST_GUESSES_NEEDED, HighLowGame, halving_guesses, hidden_number, play, read_guesses, stars,
)


def test_each_game_number_hides_the_same_number_every_time():
    assert [hidden_number(g) for g in range(1, 6)] == [hidden_number(g) for g in range(1, 6)]
    assert all(LOW <= hidden_number(g) <= HIGH for g in range(1, 100))
    assert len({hidden_number(g) for g in range(1, 100)}) > 40  # games differ


def test_halving_finds_every_number_in_at_most_seven_guesses():
    counts = [len(halving_guesses(h)) for h in range(LOW, HIGH + 1)]
    assert MOST_GUESSES_NEEDED == max(counts) == math.ceil(math.log2(HIGH - LOW + 1)) == 7
    assert all(halving_guesses(h)[-1] == h for h in range(LOW, HIGH + 1))


def test_the_computer_answers_too_high_too_low_and_right():
    turns, ignored, low, high = play(47, [50, 30, 47, 12])
    assert [t.answer for t in turns] == ["too high", "too low", "right"]
    assert ignored == 1 and low == high == 47
    assert (turns[1].low, turns[1].high) == (0, 49)  # what was possible before the second guess


def test_a_guess_outside_what_is_still_possible_is_pointed_out():
    game = HighLowGame(game=2, guesses="50, 25")  # game 2 hides a number above 50
    hidden = game.state.hidden
    assert hidden > 50 and game.state.turns[1].wasted
    assert "You already knew it was higher than that" in game.status and f"between 51 and {HIGH}" in game.status


def test_the_buttons_play_a_whole_game_and_score_it():
    game = HighLowGame(game=1)
    hidden = game.state.hidden
    for guess in halving_guesses(hidden):
        game.update(guess=guess)
        game.make_guess()  # no widget: the button's request runs at once
    assert game.state.found and len(game.state.turns) <= MOST_GUESSES_NEEDED
    assert f"{hidden} is right" in game.status and "★★★" in game.status
    before = game.params["guesses"]
    game.make_guess()  # found: nothing more is added
    assert game.params["guesses"] == before
    game.new_game()
    assert game.params["game"] == 2 and game.params["guesses"] == "" and not game.state.turns
    assert "I am thinking of a whole number from 0 to 100" in game.status


def test_stars_reward_few_guesses():
    assert stars(1) == stars(7) == "★★★" and stars(8) == stars(10) == "★★" and stars(11) == "★"
    slow = HighLowGame(game=1, guesses=", ".join(str(g) for g in range(0, 48)))  # 0, 1, 2, ... up to the number 47
    assert slow.state.found and "★ " in slow.status and "guess the middle" in slow.status


def test_no_negative_numbers_and_the_hidden_number_stays_hidden():
    game = HighLowGame(game=3, guesses="50")
    figure = game.figure
    assert figure.layout.yaxis.range[0] >= LOW - 3
    shown = [y for trace in browser_safe_traces(figure) for y in (trace.get("y") or [])]
    assert all(y >= 0 for y in shown)
    assert "the hidden number" not in [trace.name for trace in figure.data]
    found = HighLowGame(game=3, guesses=f"50, {game.state.hidden}")
    assert "the hidden number" in [trace.name for trace in found.figure.data]


@pytest.mark.parametrize("text, message", [("50, abc", "'abc' is not a whole number"), ("150", "150 is too big"),
                                           ("-5", "'-5' is not a whole number"), ("2.5", "'2.5' is not a whole number")])
def test_typed_guesses_that_are_not_whole_numbers_from_0_to_100_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        read_guesses(text)
    game = HighLowGame()
    with pytest.raises(ValueError, match=message):
        game.update(guesses=text)


def test_read_guesses_takes_commas_and_spaces():
    assert read_guesses(" 50, 25 37;12 ") == [50, 25, 37, 12] and read_guesses("") == []


def test_every_slider_changes_the_picture():
    # the browser test moves each slider and waits for the plot's data to change
    game = HighLowGame()
    before = browser_safe_traces(game.figure)
    game.update(guess=51)
    assert browser_safe_traces(game.figure) != before
    before = browser_safe_traces(game.figure)
    game.update(game=2)
    assert browser_safe_traces(game.figure) != before


def test_the_widget_has_labelled_controls_and_buttons():
    game = HighLowGame()
    box = game.widget()
    labels = [w.description for w in game._widgets.values()]
    assert labels == ["your next guess", "game number", "your guesses so far"]
    buttons = [w.description for w in box.children[2].children]
    assert "Guess!" in buttons and "New game" in buttons
    hidden = game.state.hidden
    game._widgets["guess"].value = hidden  # moving the slider redraws
    game.make_guess()
    assert game._widgets["guesses"].value == str(hidden) and game.state.found
    assert np.isclose(game._figure_widget.data[-1].y[0], hidden)  # the hidden number's line, now shown


def test_another_game_number_starts_that_game_afresh():
    game = HighLowGame(guesses="50, 25")
    game.update(game=2)  # the old answers belonged to game 1's hidden number
    assert game.params["guesses"] == "" and game.state.turns == ()
    game.update(guesses="60")
    game.update(guess=30)  # other changes keep the guesses
    assert game.params["guesses"] == "60"
    game.update(game=2)  # the same game number: nothing starts over
    assert game.params["guesses"] == "60"


def test_the_hidden_numbers_reach_both_ends_and_halving_takes_the_middle():
    numbers = {hidden_number(g) for g in range(3000)}
    assert min(numbers) == LOW and max(numbers) == HIGH  # every whole number from 0 to 100 can be hidden
    assert halving_guesses(51) == [50, 75, 62, 56, 53, 51]  # the middle of what is left, every time


def test_reading_the_guesses_box():
    assert read_guesses(", 50;; 100 ") == [50, 100]  # empty pieces skipped; 100 is allowed
    with pytest.raises(ValueError, match=r"^guesses: 'fifty' is not a whole number; type whole numbers from 0 to 100, "
                                         r"with commas between them, like 50, 25, 37$"):
        read_guesses("10, fifty")
    with pytest.raises(ValueError, match=r"^guesses: 101 is too big"):
        read_guesses("101")


def test_the_right_guess_keeps_what_was_possible_and_the_buttons_play():
    turns, ignored, low, high = play(47, [50, 30, 47, 12])
    assert (turns[-1].low, turns[-1].high) == (31, 49) and ignored == 1
    game = HighLowGame(game=3, guess=40, guesses="")
    game.make_guess()
    assert game.params["guesses"] == "40" and len(game.state.turns) == 1
    game.update(guess=60)
    game.make_guess()
    assert game.params["guesses"] == "40, 60"
    game.new_game()
    assert game.params["game"] == 4 and game.params["guesses"] == "" and game.state.turns == ()
    hidden = hidden_number(4)
    game.update(guesses=f"{hidden}, {hidden}")
    assert game.state.found and game.state.ignored == 1
