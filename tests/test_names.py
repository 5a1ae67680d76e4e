from __future__ import annotations

from site_builder.names import NameTable, sentence_at, tokenize

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


def test_a_name_that_cannot_be_matched_is_warned_about() -> None:
    table = NameTable([entity("dotnet", ".NET", aliases=["DotNet"])])
    (warning,) = table.warnings
    assert "'.NET'" in warning.message and "[[...]]" in warning.message
    assert [m.entity_id for m in table.find("DotNet and .NET", set())] == ["dotnet"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = ["Kim", "Kim Jong Un", "Kim\nJong Un", "Kim  Jong Un", "Jong", "Un", "U.S.", "U.S.A", "U.N. Security Council",
          "North Korea", "Korea", "To Lam", "to lam", "Lam", "Georgia", "iphone", "IPHONE", "Conan O\u2019Brien",
          "Russia's", "Kimberley", " ", ", ", ". ", "\u00a0", "-", "x", "\u0130stanbul"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_candidate_prefilter_finds_what_walking_every_word_finds(text: str) -> None:
    from site_builder.names import WORD_RE
    table = NameTable(REGISTRY)
    fast = table.find(text, set())
    table._candidates = lambda t: [m.start() for m in WORD_RE.finditer(t)]  # type: ignore[method-assign]
    assert fast == table.find(text, set())
