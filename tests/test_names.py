from __future__ import annotations

from site_builder.names import NameTable, sentence_at, sentence_starts, tokenize

from .conftest import REGISTRY, entity


def test_ambiguous_name_warns_once_naming_both_files() -> None:
    table = NameTable(REGISTRY)
    assert len(table.warnings) == 1
    warning = table.warnings[0]
    assert warning.level == "warning"
    assert "'Georgia'" in warning.message
    assert "georgia-country.md" in warning.message and "georgia-state.md" in warning.message


def test_a_name_repeated_within_one_entity_is_not_ambiguous() -> None:
    table = NameTable([entity("russia", "Russia", aliases=["Russia", "Russian Federation"])])
    assert table.warnings == []
    assert [(m.entity_id, m.start, m.end) for m in table.find("Russia", set())] == [("russia", 0, 6)]


def test_short_name_shared_by_two_entities_resolves_by_context() -> None:
    table = NameTable([entity("kim-jong-un", "Kim Jong Un", short_names=["Kim"]),
                       entity("kim-yo-jong", "Kim Yo Jong", short_names=["Kim"])])
    seen: set[str] = set()
    found = table.find("Kim Yo Jong spoke. Kim left. Kim Jong Un came. Kim smiled.", seen)
    assert [m.entity_id for m in found] == ["kim-yo-jong", "kim-yo-jong", "kim-jong-un", None]


def test_tokenize_folds_quotes_and_whitespace() -> None:
    assert tokenize("Conan  O\u2019Brien") == tokenize("Conan\u00a0O'Brien") == ["Conan", " ", "O", "'", "Brien"]


def test_lookup_by_id_name_alias_and_any_case() -> None:
    table = NameTable(REGISTRY)
    assert table.lookup("kim-jong-un") == ("kim-jong-un", "")
    assert table.lookup("Kim Jong-un") == ("kim-jong-un", "")
    assert table.lookup("kim jong un") == ("kim-jong-un", "")
    entity_id, message = table.lookup("Rusia")
    assert entity_id is None and "Russia" in message


def test_sentence_at_skips_abbreviations() -> None:
    text = "Mr. Smith met the U.S. envoy. Then Dr. Who left! Finally it rained."
    assert sentence_at(text, text.index("envoy")) == "Mr. Smith met the U.S. envoy."
    assert sentence_at(text, text.index("Who")) == "Then Dr. Who left!"
    assert sentence_at(text, text.index("rained")) == "Finally it rained."


def test_sentences_end_after_initials_and_titles_only_when_they_stand_alone() -> None:
    text = "Prof. Xu met Mrs. Li and J.R. Ewing of the BBC. Their xMr. idea vs. ours? No. 5 said no! \u201cFine.\u201d Done."
    starts = sentence_starts(text)
    assert [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])] == [
        "Prof. Xu met Mrs. Li and J.R. Ewing of the BBC. ", "Their xMr. ", "idea vs. ours? ", "No. 5 said no! ",
        "\u201cFine.\u201d ", "Done."]


def test_a_name_that_cannot_be_matched_is_warned_about() -> None:
    table = NameTable([entity("dotnet", ".NET", aliases=["DotNet"])])
    (warning,) = table.warnings
    assert "'.NET'" in warning.message and "[[...]]" in warning.message
    assert [m.entity_id for m in table.find("DotNet and .NET", set())] == ["dotnet"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = ["Kim", "Kim Jong Un", "Kim\nJong Un", "Kim  Jong Un", "Jong", "Un", "U.S.", "U.S.A", "U.N. Security Council",
          "North Korea", "Korea", "To Lam", "to lam", "Lam", "Georgia", "iphone", "IPHONE", "Conan O\u2019Brien",
          "Russia's", "Russia\u2019s", "\u2019", "Kimberley", " ", ", ", ". ", "\n", "\u00a0", "-", "x", "\u0130stanbul",
          "\u03a3"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_finding_spellings_by_automaton_is_walking_the_trie_from_every_word(text: str) -> None:
    from unittest import mock

    from site_builder import names
    table = NameTable(REGISTRY)
    fast = table.find(text, set())
    with mock.patch.object(names, "_plain", lambda text, folded: False):  # then the trie is walked from every word
        assert fast == table.find(text, set())


ODD_PIECES = [*PIECES, "Kim\u2003Jong Un", "Kim\x1fJong Un", "\u2003", "Conan O\u02bcBrien", "\u02bc", "\u0391\u03a3'\u0392",
              "\u0391", "i\u0307stanbul"]
"""Text where comparing characters is not comparing tokens: white space that is not folded,
capital sigma, the modifier apostrophe (a letter); and a combining mark from lower-casing."""
ODD_REGISTRY = [*REGISTRY, entity("conan-modifier", "Conan O\u02bcBrien"), entity("alpha", "\u0391"),
                entity("alpha-sigma-beta", "\u0391\u03a3'\u0392"), entity("istanbul", "\u0130stanbul")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ODD_PIECES), max_size=30).map("".join))
def test_text_the_automaton_cannot_compare_is_walked(text: str) -> None:
    from unittest import mock

    from site_builder import names
    table = NameTable(ODD_REGISTRY)
    fast = table.find(text, set())
    with mock.patch.object(names, "_plain", lambda text, folded: False):
        assert fast == table.find(text, set())


def test_odd_characters_are_white_space_left_unfolded_capital_sigma_and_the_modifier_apostrophe() -> None:
    import sys

    from site_builder.names import _FOLD_SPACE, _ODD
    folded = {chr(c) for c, to in _FOLD_SPACE.items() if to == " "} | {" "}
    every = [chr(c) for c in range(sys.maxunicode + 1)]
    assert {c for c in every if _ODD.match(c)} == {c for c in every if c.isspace()} - folded | {"\u03a3", "\u02bc"}


def test_a_name_is_found_across_any_white_space_and_beside_odd_characters() -> None:
    """Text where comparing characters is not comparing tokens (an em space, a capital sigma,
    a modifier apostrophe) is walked word by word: a name is found even where no shorter
    name starts (the automaton over the folded text saw no spelling there)."""
    table = NameTable([entity("kim-jong-un", "Kim Jong Un"), entity("to-lam", "To Lam")])
    for text in ("Then Kim\u2003Jong Un spoke.", "ΣIGMA: Kim Jong Un spoke.", "Kim Jong Un spoke of the Hawaiʻi trip.",
                 "Then Kim\u3000Jong\u2009Un spoke."):
        assert [(m.entity_id, text[m.start:m.end].split()) for m in table.find(text, set())] == \
            [("kim-jong-un", ["Kim", "Jong", "Un"])], text
    assert [m.entity_id for m in table.find("Kim\u2003Jong\u2003Un met To\u2003Lam, to lam.", set())] == \
        ["kim-jong-un", "to-lam"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*ODD_PIECES, "\x1c", "\x1d", "\x1e", "\t", "\x85", "Kim\x1cJong"]), max_size=20).map("".join))
def test_plain_takes_ascii_text_as_the_regex_does(text: str) -> None:
    """``_plain`` looks through ASCII text for the four ASCII odd characters without the regex:
    it decides as the regex would, for any text."""
    from site_builder.names import _ODD, _fold_spaces, _plain
    folded = _fold_spaces(text).lower()
    assert _plain(text, folded) == (len(folded) == len(text) and "  " not in folded and not _ODD.search(text))


@given(st.lists(st.sampled_from([*ODD_PIECES, "\t", "\r", "\f", "\v", "\u2018", "\u201c", "\u201e"]), max_size=20).map("".join))
def test_folding_spaces_is_translating(text: str) -> None:
    from site_builder.names import _FOLD_SPACE, _fold_spaces
    assert _fold_spaces(text) == text.translate(_FOLD_SPACE)
