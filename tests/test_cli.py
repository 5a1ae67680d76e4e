from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder import __version__
from site_builder.cli import main

from .conftest import ROOT


def example(tmp_path: Path) -> Path:
    project = tmp_path / "site"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "site.toml", project / "site.toml")
    return project


def test_build_prints_one_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = example(tmp_path)
    assert main(["build", str(project)]) == 0
    out, err = capsys.readouterr()
    assert out.endswith(f" pages written, 0 unchanged, in {out.split(' in ')[1]}") and err == ""
    assert int(out.split()[0]) > 20
    assert (project / "public" / "index.html").is_file()


def test_errors_are_listed_as_path_line_level_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = example(tmp_path)
    (project / "content" / "articles" / "bad.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert main(["build", str(project)]) == 1
    err = capsys.readouterr().err
    assert f"{project / 'content' / 'articles' / 'bad.md'}:2: error: invalid front matter" in err
    assert "previous site was left as it was" in err


def test_version_and_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "site_builder", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"site-builder {__version__}"
    assert subprocess.run([sys.executable, "-m", "site_builder", "build", "--help"],
                          capture_output=True, text=True).stdout.count("--out") >= 1


def test_console_script_builds_the_current_folder(tmp_path: Path) -> None:
    project = example(tmp_path)
    script = Path(sys.executable).parent / "site-builder"
    if not script.exists():
        pytest.skip("console script not installed (package not pip-installed)")
    done = subprocess.run([str(script), "build"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (project / "public" / "articles" / "russia-north-korea-pact.html").is_file()


def test_progress_is_shown_on_a_terminal_and_erased(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    project = example(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["build", str(project)]) == 0
    err = capsys.readouterr().err
    assert "annotating" in err and "rendering" in err and err.endswith("\r\033[K")


@pytest.mark.parametrize("command", [[], ["build"], ["serve"], ["new"], ["check"], ["import"], ["suggest"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: site-builder") and len(out.splitlines()) > 5


def test_the_command_exits_with_mains_code_and_all_its_output(tmp_path: Path) -> None:
    """The command leaves at once after a build (os._exit): what it printed must still
    arrive, through a pipe too, and its exit code must be main's."""
    project = example(tmp_path)
    ok = subprocess.run([sys.executable, "-m", "site_builder", "build", str(project)],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and ok.stdout.endswith(f" unchanged, in {ok.stdout.split(' in ')[1]}")
    assert ok.stdout.count("\n") == 1 and ok.stderr == ""
    (project / "content" / "articles" / "bad.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    failed = subprocess.run([sys.executable, "-m", "site_builder", "build", str(project)],
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1 and failed.stdout == ""
    assert "bad.md:2: error: invalid front matter" in failed.stderr
    assert failed.stderr.rstrip().endswith("the previous site was left as it was")


def test_a_build_that_finds_nothing_changed_never_imports_the_builder(tmp_path: Path) -> None:
    """It tells so from the files' stats and the output's stamp alone, and says what the
    last build said: its warnings too. Any change, and the builder builds."""
    project = example(tmp_path)
    (project / "content" / "entities" / "moscow-idaho.md").write_text(
        "---\nname: Moscow\ntype: place\n---\n", encoding="utf-8")  # ambiguous with moscow.md: a warning
    first = subprocess.run([sys.executable, "-m", "site_builder", "build", str(project)],
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and "moscow-idaho.md" in first.stderr
    script = ("import sys\nfrom site_builder.cli import main\ncode = main(['build', sys.argv[1]])\n"
              "print(sorted(m for m in ('site_builder.pipeline', 'jinja2', 'markdown_it') if m in sys.modules))\n"
              "sys.exit(code)")
    again = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stderr == first.stderr
    summary, imported = again.stdout.splitlines()
    assert summary.startswith("0 pages written, ") and imported == "[]"
    assert summary.split(" unchanged")[0].split()[-1] == first.stdout.split(" pages written")[0]
    (project / "content" / "articles" / "plain.md").write_text("---\ntitle: Plain\n---\nPutin spoke.\n",
                                                               encoding="utf-8")
    edited = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=300)
    assert edited.returncode == 0 and edited.stderr == first.stderr
    summary, imported = edited.stdout.splitlines()
    assert not summary.startswith("0 pages written") and imported == "['jinja2', 'markdown_it', 'site_builder.pipeline']"


def test_a_build_with_nothing_to_annotate_never_imports_markdown_it(tmp_path: Path) -> None:
    """An entity's description edited: pages change, no document is annotated again, and nothing
    is ranked (nor numpy imported, not even to read the related articles kept in the cache)."""
    project = example(tmp_path)
    assert main(["build", str(project)]) == 0
    path = project / "content" / "entities" / "moscow.md"
    path.write_text(path.read_text(encoding="utf-8").replace("description: ", "description: Big. "), encoding="utf-8")
    script = ("import sys\nfrom site_builder.cli import main\ncode = main(['build', sys.argv[1]])\n"
              "print('markdown_it' in sys.modules, 'numpy' in sys.modules, 'site_builder.pipeline' in sys.modules)\n"
              "sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary, imported = done.stdout.splitlines()
    assert not summary.startswith("0 pages written") and imported == "False False True"
    assert "Big." in (project / "public" / "entities" / "moscow.html").read_text(encoding="utf-8")
