"""Bad input, end to end: a clear error naming file and line, never a traceback, and nothing
of the previous site lost. Also: builds are reproducible, and a killed build changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.errors import BuildFailed, SiteError
from site_builder.pipeline import build

from .test_pipeline import ARTICLE, copy_example


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def failure(project: Path) -> list[str]:
    with pytest.raises(BuildFailed) as failed:
        build(project, jobs=1)
    return [str(d) for d in failed.value.errors]


CASES = {
    "empty file": (b"", 1, "no front matter"),
    "front matter not closed": (b"---\ntitle: A\n\nBody.\n", 1, "front matter is not closed"),
    "front matter is a list": (b"---\n- a\n- b\n---\nBody.\n", 2, "not a list"),
    "title is a number": (b"---\ntitle: 42\n---\nBody.\n", 2, "'title' must be non-empty text"),
    "invalid UTF-8": (b"---\ntitle: A\n---\nfine\nbad \xff byte\n", 5, "not valid UTF-8"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_files_fail_the_build_with_file_and_line_and_keep_the_site(tmp_path: Path, case: str) -> None:
    project = copy_example(tmp_path)
    before = snapshot(build(project).out)
    data, line, message = CASES[case]
    bad = project / "content" / "articles" / "bad.md"
    bad.write_bytes(data)
    [error] = failure(project)
    assert error.startswith(f"{bad}:{line}: error: ") and message in error, error
    assert snapshot(project / "public") == before


def test_byte_order_mark_and_crlf_are_fine(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "articles" / "windows.md").write_bytes(
        b"\xef\xbb\xbf---\r\ntitle: Saved on Windows\r\n---\r\nVladimir Putin spoke.\r\n")
    out = build(project).out
    assert 'data-entity="vladimir-putin"' in (out / "articles" / "windows.html").read_text(encoding="utf-8")


def test_unknown_front_matter_key_warns_with_the_closest(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    path = project / "content" / "articles" / "typo.md"
    path.write_text("---\ntitle: A\nauthr: Me\n---\nText.\n", encoding="utf-8")
    warnings = [str(w) for w in build(project).warnings]
    assert f"{path}:3: warning: unknown front matter key 'authr'; did you mean 'author'?" in warnings


@pytest.mark.parametrize("name", ["a..b.md", "-x.md", "with space.md", "semi;colon.md"])
def test_file_names_that_could_escape_or_break_urls_are_rejected(tmp_path: Path, name: str) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "entities" / name).write_text("---\nname: Escape\n---\n", encoding="utf-8")
    [error] = failure(project)
    assert error.startswith(f"{project / 'content' / 'entities' / name}: error: ") and "cannot be used in a URL" in error


def test_a_file_name_that_is_not_utf8_is_an_error_naming_it(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    site = build(project, jobs=1).out
    before = snapshot(site)
    folder = os.fsencode(project / "content" / "articles")
    with open(os.path.join(folder, b"caf\xe9.md"), "wb") as file:  # Latin-1, as an old archive may name it
        file.write(b"---\ntitle: Cafe\n---\nPutin spoke.\n")
    [error] = failure(project)
    assert "caf" in error and "cannot be used in a URL" in error
    assert snapshot(site) == before


def test_dot_files_are_skipped_so_nothing_is_written_outside(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    (project / "content" / "entities" / "..md").write_text("---\nname: Escape\n---\nEscape.\n", encoding="utf-8")
    out = build(project).out
    assert not (out / "entities" / "..html").exists() and not (out / "..html").exists()
    assert not any("Escape" in p.read_text(encoding="utf-8") for p in out.rglob("*.html"))


def test_symlink_loops_and_dangling_links_are_errors(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    articles = project / "content" / "articles"
    os.symlink(articles / "loop-b.md", articles / "loop-a.md")
    os.symlink(articles / "loop-a.md", articles / "loop-b.md")
    os.symlink(articles / "nowhere.md", articles / "dangling.md")
    os.symlink(articles, articles / "folder-loop")  # a folder linking to itself is not followed
    errors = failure(project)
    assert len(errors) == 3 and all("cannot read" in e for e in errors), errors


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    path = project / "content" / "articles" / "secret.md"
    path.write_text("---\ntitle: Secret\n---\n", encoding="utf-8")
    path.chmod(0)
    [error] = failure(project)
    assert error.startswith(f"{path}:") and "cannot read" in error


def test_two_builds_of_the_same_input_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_example(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    one = snapshot(build(project, tmp_path / "one", cache=False).out)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2000000000")
    two = snapshot(build(project, tmp_path / "two", cache=False).out)
    assert one == two
    today = time.strftime("%Y-%m-%d").encode()
    assert not any(today in data for data in one.values())


def test_a_killed_build_leaves_the_previous_site_complete(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    articles = project / "content" / "articles"
    text = (articles / "russia-north-korea-pact.md").read_text(encoding="utf-8")
    for n in range(150):
        (articles / f"copy-{n:03d}.md").write_text(text.replace("title: \"", f"title: \"{n} "), encoding="utf-8")
    before = snapshot(build(project).out)
    started = time.perf_counter()  # how long a whole clean build takes, so the kills land inside one
    subprocess.run([sys.executable, "-m", "site_builder", "build", str(project), "--clean", "--out",
                    str(tmp_path / "timed")], check=True, capture_output=True)
    whole = time.perf_counter() - started
    killed = 0
    for n, (share, how) in enumerate(((0.1, []), (0.25, ["--clean"]), (0.45, ["--clean"]), (0.65, ["--clean"]),
                                      (0.85, ["--clean"]), (None, []))):
        (articles / "copy-000.md").write_text(text.replace("Putin", f"Putin ({n})"), encoding="utf-8")
        child = subprocess.Popen([sys.executable, "-m", "site_builder", "build", str(project), *how],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(share * whole if share is not None else 3 * whole + 1)  # the last build is let finish
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)  # the build and its workers
            killed += 1
        child.wait()
        now = snapshot(project / "public")
        if now != before:  # the build finished before the kill: then it is the whole new site
            assert f"Putin ({n})".encode() in now["articles/copy-000.html"]
            before = now
    assert killed >= 3
    out = build(project).out  # and the cache the killed builds left is sound
    clean = build(project, tmp_path / "clean", cache=False).out
    assert {k: v for k, v in snapshot(out).items() if k != ".site-builder"} == \
        {k: v for k, v in snapshot(clean).items() if k != ".site-builder"}
    assert b"Putin (5)" in (out / "articles" / "copy-000.html").read_bytes()
    assert not [p for p in project.iterdir() if p.name.startswith(".public.new-")]


FRONT_KEYS = st.sampled_from(["title", "date", "author", "publication", "source", "summary", "tags", "titel", "x"])
FRONT_VALUES = st.one_of(st.text(max_size=30), st.integers(), st.none(), st.lists(st.text(max_size=8), max_size=3),
                         st.sampled_from(["2024-06-20", "2024-13-40", "https://example.org/", "[[Russia]]"]))
MARKDOWN = st.lists(st.one_of(
    st.text(max_size=40),
    st.sampled_from(["Vladimir Putin", "Kim", "[[Russia]]", "[[Nobody]]", "[[Russia|them]]", "<script>x</script>",
                     "<b onclick=x>b</b>", "```py\nx\n```", "| a |\n|---|\n| b |", "[l](missing.html)", "---",
                     "# Heading Kim Jong Un", "\u2019s", "U.S.", "\x00", "\r\n", "<!--", "[[", "]]"])), max_size=12)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=st.dictionaries(FRONT_KEYS, FRONT_VALUES, max_size=6), body=MARKDOWN, raw=st.booleans())
def test_fuzzed_articles_build_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory, front: dict,
                                                body: list[str], raw: bool) -> None:
    project = copy_example(tmp_path_factory.mktemp("fuzz"))
    import yaml
    header = yaml.safe_dump(front, allow_unicode=True) if front and not raw else "title: Fuzz\n"
    text = f"---\n{header}---\n" + "\n".join(body)
    (project / "content" / "articles" / "fuzz.md").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        result = build(project, jobs=1)
    except BuildFailed as failed:
        assert failed.errors and all(str(e.path).startswith(str(project)) for e in failed.errors)
    except SiteError:
        pass
    else:
        assert (result.out / ARTICLE).is_file()


def test_a_50_mb_article_builds(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    body = (project / "content" / "articles" / "russia-north-korea-pact.md").read_text(encoding="utf-8")
    body = body.split("---\n", 2)[2]
    copies = 50_000_000 // len(body.encode("utf-8")) + 1
    (project / "content" / "articles" / "huge.md").write_text(
        "---\ntitle: Huge\n---\n" + "\n\n".join([body] * copies) + "\nThe very end, in Pyongyang.\n", encoding="utf-8")
    out = build(project).out
    html = (out / "articles" / "huge.html").read_text(encoding="utf-8")
    assert html.count("Growing concerns over military cooperation</h2>") == copies
    assert 'The very end, in <a class="entity" data-entity="pyongyang"' not in html  # linked once, early on
    assert html.count('class="entity" data-entity="pyongyang"') == 1 and "The very end, in Pyongyang." in html
