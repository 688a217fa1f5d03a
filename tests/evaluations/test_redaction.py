"""Redaction of 360 comments: the phrasings from issue #13 and the rules of evaluations/redaction.py."""

import time

import pytest

from evaluations.redaction import Redactor, personal_data_found, redact
from evaluations.services import comments_redact

# (comment, what must be gone, what must be there instead)
ISSUE_13 = [
    ("Her badge number is 2231 and she lives on Elm Street 42", ["2231", "Elm", "42"], ["[badge]", "[address]"]),
    ("attribute this comment to Capt. Lee", ["Lee"], ["[name]"]),
    ("Reviewer = Officer T. Nguyen", ["Nguyen", "T."], ["[name]"]),
    ("written by Officer Brooks", ["Brooks"], ["[name]"]),
    ("17 Oak Avenue", ["17", "Oak"], ["[address]"]),
]


@pytest.mark.parametrize(("text", "gone", "placeholders"), ISSUE_13)
def test_the_issue_13_phrasings_are_redacted(text, gone, placeholders):
    out = redact(text, names=[])
    for secret in gone:
        assert secret not in out, out
    for placeholder in placeholders:
        assert placeholder in out, out


def test_a_comment_reference_is_not_mistaken_for_a_badge_number():
    assert redact("see comment id c9999 and comment c12", names=[]) == "see comment id c9999 and comment c12"


@pytest.mark.parametrize(("text", "secret", "placeholder"), [
    ("Sgt. Dana Wolfe handled it", "Wolfe", "[name]"),
    ("Ofc. Ruiz and Det. Amara Osei were there", "Osei", "[name]"),
    ("Lt Brooks, Chief Ramirez and Deputy Kowalski", "Kowalski", "[name]"),
    ("My name is Priya Raman, her peer.", "Raman", "[name]"),
    ("Tell the agency that Dana Wolfe wrote this comment.", "Wolfe", "[name]"),
    ("Badge numbers of my team: 4411, 4412, 4413.", "4412", "[badge]"),
    ("His shield # is 7781", "7781", "[badge]"),
    ("Licence no. CA-100201 belongs to the candidate.", "100201", "[badge]"),
    ("Driver license D1234567", "D1234567", "[badge]"),
    ("employee ID: 55-1234", "55-1234", "[badge]"),
    ("Call her on (415) 555-0132 after six", "555-0132", "[phone]"),
    ("her cell is 415.555.0199", "0199", "[phone]"),
    ("ring +44 20 7946 0958", "7946", "[phone]"),
    ("home 867-5309", "867-5309", "[phone]"),
    ("Mail me at leak@example.com", "leak@example.com", "[email]"),
    ("She is 34 years old", "34", "[age]"),
    ("a 52-year-old sergeant", "52", "[age]"),
    ("aged 61, still on patrol", "61", "[age]"),
    ("born on 3 May 1980", "1980", "[date]"),
    ("DOB 05/03/1980", "05/03/1980", "[date]"),
    ("He lives at 221B Baker Street, Apt 4", "Baker", "[address]"),
    ("our office on 42nd Street", "42nd", "[address]"),
    ("P.O. Box 1234 is hers", "1234", "[address]"),
    ("1200 W Main St near the park", "Main", "[address]"),
    ("Details: http://evil.example.org/phish", "evil.example.org", "[link]"),
])
def test_personal_data_in_many_phrasings_is_redacted(text, secret, placeholder):
    out = redact(text, names=[])
    assert secret not in out and placeholder in out, out


def test_invited_raters_and_the_subject_are_redacted_in_any_case_and_part():
    out = redact("maria said ALVAREZ was fair; dana wolfe agreed", names=["Maria Alvarez", "Dana Wolfe"])
    assert out == "[name] said [name] was fair; [name] [name] agreed"


def test_roster_names_are_redacted_when_capitalised_but_ordinary_words_survive():
    redactor = Redactor(names=[], roster=["Will Young", "Grace Hope", "Kendra Okafor"])
    assert redactor.redact("Okafor and Young backed her up") == "[name] and [name] backed her up"
    # Capitalised, a roster name is redacted even where it is also a word (over-redaction is the accepted cost).
    assert redactor.redact("Will he listen? Young officers will.") == "[name] he listen? [name] officers will."
    assert redactor.redact("She gives hope to young officers") == "She gives hope to young officers"


def test_hidden_characters_cannot_split_a_name_past_the_redactor():
    assert "Alvarez" not in redact("Al\u200bvarez is calm", names=["Maria Alvarez"])


def test_ordinary_feedback_is_left_alone():
    text = "Calm under pressure, explains decisions clearly and listens to residents. Keep mentoring new officers."
    assert redact(text, names=["Maria Alvarez"]) == text


def test_comments_are_sorted_by_their_redacted_text_and_renumbered():
    """Sorted by the original text, comments starting with a rater's name would sit where that name sorts."""
    comments = [{"id": "c1", "group": "peer", "question": "Q1", "text": "Aaron Zed says: fair"},
                {"id": "c2", "group": "peer", "question": "Q1", "text": "Calm"},
                {"id": "c3", "group": "peer", "question": "Q2", "text": "Beta"},
                {"id": "c4", "group": "peer", "question": "Q1", "text": "Zulu Ames says: fair"}]
    out = comments_redact(comments, names=["Aaron Zed", "Zulu Ames"], roster=[])
    assert [c["text"] for c in out] == ["Calm", "[name] says: fair", "[name] says: fair", "Beta"]
    assert [c["id"] for c in out] == ["c1", "c2", "c3", "c4"]


def test_output_check_names_the_kinds_found_but_accepts_a_plain_narrative():
    assert personal_data_found("Others rate Communication at 3.10 of 5; Leadership is a strength.",
                               names=["Maria Alvarez"]) == []
    assert personal_data_found("Capt. Lee said so; call 555-201-7788", names=[]) == ["name", "phone"]


def test_redaction_is_fast_enough_for_a_large_cycle_with_a_large_roster():
    roster = [f"First{i} Surname{i}" for i in range(5000)]
    redactor = Redactor(names=[f"Rater{i} Person" for i in range(60)], roster=roster)
    comment = "Calm under pressure; Surname42 and Rater7 Person noticed. Call 555-201-7788. " * 3
    started = time.perf_counter()
    for _ in range(180):  # 60 raters x 3 questions
        redactor.redact(comment)
    assert time.perf_counter() - started < 5.0
