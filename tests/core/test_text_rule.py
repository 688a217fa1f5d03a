"""One rule for text (core.text), issue #12 finding 6: the JSON API, its published OpenAPI patterns and the CSV
imports refuse exactly the same characters (NUL and the other control characters; tab and line breaks pass)."""

import re

import pytest
from rest_framework import serializers

from core.openapi import text_pattern
from core.serializers import StrictCharField
from core.text import csv_cell_errors, forbidden_character

# Every character of the Basic Multilingual Plane's first blocks, where the control characters live, and beyond.
CHARACTERS = [chr(c) for c in range(0, 0x3000)] + ["\u2028", "\u202e", "\ufeff", "\U0001f600"]


def json_refuses(character: str) -> bool:
    try:
        StrictCharField().run_validation(f"A{character}B")  # the project's text field (core.serializers)
    except serializers.ValidationError:
        return True
    return False


def test_json_api_pattern_and_csv_refuse_the_same_characters():
    pattern = re.compile(text_pattern(StrictCharField()))
    disagreements = []
    for character in CHARACTERS:
        refused = forbidden_character(character) is not None
        by_csv = bool(csv_cell_errors(2, {"last_name": f"A{character}B"}))
        by_schema = pattern.search(f"A{character}B") is None
        if not (refused == json_refuses(character) == by_csv == by_schema):
            disagreements.append(f"U+{ord(character):04X}")
    assert not disagreements


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800"])
def test_control_characters_are_refused(character):
    assert forbidden_character(f"x{character}") == character


@pytest.mark.parametrize("character", ["\t", "\n", "\r", " ", "é", "\u00a0", "\U0001f600"])
def test_tabs_line_breaks_and_ordinary_text_pass(character):
    assert forbidden_character(f"x{character}y") is None


@pytest.mark.django_db
def test_json_patch_with_a_control_character_is_a_400_naming_the_field_and_writes_nothing(admin_a_client, officer_a):
    before = officer_a.first_name
    response = admin_a_client.patch(f"/api/v1/officers/{officer_a.pk}/", {"first_name": "Ann\x1b[2J"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "Control characters" in response.json()["fields"]["first_name"][0]
    officer_a.refresh_from_db()
    assert officer_a.first_name == before
