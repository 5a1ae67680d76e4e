"""The ``site-builder`` command.

Each command imports what it needs when it runs: a build that finds nothing changed
(``write.look``) never imports the builder (Markdown, templates, the cache), which took
most of the time such a build took.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from . import __version__
from .errors import BuildFailed, SiteError
from .model import ENTITY_TYPES
from .write import Inputs


def _project(command: argparse.ArgumentParser) -> None:
    command.add_argument("project", nargs="?", default=".", type=Path, metavar="PROJECT_DIR",
                         help="folder holding site.toml and content/ (default: current folder)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="site-builder",
        description="Build a static site of annotated articles: every named entity linked, "
                    "cross-referenced, readable offline.")
    parser.add_argument("--version", action="version", version=f"site-builder {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = commands.add_parser("build", help="build the site into public/",
                            description="Read PROJECT_DIR/site.toml and PROJECT_DIR/content/, "
                                        "write the site to PROJECT_DIR/public/ (replaced whole, "
                                        "only if the build succeeds).")
    _project(b)
    b.add_argument("--out", type=Path, metavar="DIR", help="write the site here instead of PROJECT_DIR/public")
    b.add_argument("--clean", action="store_true",
                   help="ignore and rebuild the cache (.site-cache/), render every page")
    b.add_argument("--timings", action="store_true", help="print the time each stage took")
    b.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="worker processes (default: one per core; 1 gives a single-process build for debugging)")
    c = commands.add_parser("check", help="report every problem a build would find, and more, without building",
                            description="Read and annotate everything as a build would, write nothing, and "
                                        "report one finding per line as path:line: level: message: front "
                                        "matter, unknown or ambiguous [[Name]]s and names, entities no article "
                                        "mentions, articles that mention no entity, and links that lead to no "
                                        "page. Exits 1 if there are errors.")
    _project(c)
    c.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: one per core)")
    s = commands.add_parser("serve", help="build, serve on this machine, rebuild and reload on every change",
                            description="Build the site, serve it over HTTP (on 127.0.0.1 unless told otherwise), "
                                        "and rebuild on every change under content/, templates/, themes/ or "
                                        "site.toml; open pages reload themselves, or show the build's errors "
                                        "while the last good site stays up. Ctrl-C stops.")
    _project(s)
    s.add_argument("--port", "-p", type=int, default=8000, help="port to listen on (default: 8000; 0: any free one)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--out", type=Path, metavar="DIR", help="build into DIR instead of PROJECT_DIR/public")
    s.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: one per core)")
    i = commands.add_parser("import", help="turn text files and saved web pages into articles",
                            description="Write one Markdown article with front matter per FILE: plain text "
                                        "(.txt: title, byline, date and headings recognised, page clutter "
                                        "dropped) or a saved web page (.html: the article body, title, author, "
                                        "date, publication and canonical URL). Never overwrites an article "
                                        "unless --force.")
    i.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".txt or .html files")
    i.add_argument("--to", type=Path, default=Path("content/articles"), metavar="DIR",
                   help="folder to write the articles into (default: content/articles)")
    i.add_argument("--force", action="store_true", help="replace articles that exist")
    g = commands.add_parser("suggest", help="list the names in the articles that no entity covers yet",
                            description="Find proper names (people, places, organisations) in the articles "
                                        "that no entity file names, group their variants, and list them with "
                                        "a guessed type, how often and in how many articles they occur, two "
                                        "example sentences and a confidence, best evidenced first. Names in "
                                        "content/entities/_rejected.txt (one a line) are never suggested.")
    _project(g)
    g.add_argument("--json", action="store_true", help="print the candidates as JSON")
    g.add_argument("--write", action="store_true",
                   help="write a draft entity file (draft: true) per candidate listed; never overwrites")
    g.add_argument("--min-confidence", type=float, default=0.0, metavar="X",
                   help="list only candidates at least this confident (0 to 1; default: all)")
    g.add_argument("--limit", type=int, default=0, metavar="N", help="list at most N candidates (default: all)")
    g.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: one per core)")
    n = commands.add_parser("new", help="start a new article or entity file",
                            description="Write content/articles/<slug>.md or content/entities/<id>.md with the "
                                        "front matter filled in, and print its path. Never overwrites a file.")
    n.add_argument("kind", choices=("article", "entity"), help="what to make")
    n.add_argument("title", metavar="TITLE_OR_NAME", help='the article\'s title or the entity\'s name, e.g. "To Lam"')
    n.add_argument("--type", "-t", dest="entity_type", choices=ENTITY_TYPES, default="thing",
                   help="the entity's type (default: thing)")
    n.add_argument("--project", type=Path, default=Path("."), metavar="PROJECT_DIR",
                   help="folder holding site.toml and content/ (default: current folder)")
    return parser


def _suggest(args: argparse.Namespace) -> int:
    try:
        from .pipeline import suggest

        found = suggest(args.project, jobs=args.jobs)
    except BuildFailed as failed:
        for diagnostic in failed.errors:
            print(diagnostic, file=sys.stderr)
        return 1
    found = [c for c in found if c.confidence >= args.min_confidence][:args.limit or None]
    if args.json:
        print(json.dumps([dataclasses.asdict(c) for c in found], ensure_ascii=False, indent=1))
    else:
        for c in found:
            also = ", ".join((*c.aliases, *c.short_names))
            print(f"{c.name} ({c.type}{'; also ' + also if also else ''}): {c.mentions} mention"
                  f"{'s' if c.mentions != 1 else ''} in {c.articles} article{'s' if c.articles != 1 else ''}, "
                  f"confidence {c.confidence:.2f}")
            for example in c.examples:
                print(f"    {example}")
    if args.write:
        from .suggest import write_drafts

        written, kept = write_drafts(found, args.project / "content")
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
        for path in kept:
            print(f"left {path} as it was: it exists", file=sys.stderr)
    print(f"{len(found)} candidate{'s' if len(found) != 1 else ''}", file=sys.stderr)
    return 0


class _Progress:
    """Stage messages on one self-erasing line, only on a terminal (quiet in CI and pipes)."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty() and not os.environ.get("CI")

    def __call__(self, stage: str) -> None:
        if self.live:
            print(f"\r\033[K{stage}...", end="", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def run() -> None:
    """The ``site-builder`` command: ``main``, then exit at once, without freeing one by one
    the millions of objects a build leaves (a quarter of a second at 10,000 articles)."""
    code = main(release=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None, release: bool = True) -> int:
    """The command line; ``release=False`` when the process exits right after (see build)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "new":
            from .new import new_article, new_entity

            made = (new_article(args.project, args.title) if args.kind == "article"
                    else new_entity(args.project, args.title, args.entity_type))
            print(made)
            return 0
        if args.command == "import":
            # only this command needs trafilatura's company
            from .importer import import_files
            return 1 if import_files(args.files, args.to, args.force) else 0
        if args.command == "check":
            from .pipeline import check

            found = check(args.project, jobs=args.jobs)
            for finding in found:
                print(finding)
            errors = sum(f.level == "error" for f in found)
            print(f"{errors} error{'s' if errors != 1 else ''}, {len(found) - errors} "
                  f"warning{'s' if len(found) - errors != 1 else ''}", file=sys.stderr)
            return 1 if errors else 0
        if args.command == "suggest":
            return _suggest(args)
        if args.command == "serve":
            from .serve import serve  # only this command needs the file watcher
            serve(args.project, args.host, args.port, args.out, args.jobs,
                  report=lambda line: print(line, flush=True))
            return 0
    except SiteError as err:
        print(f"site-builder: error: {err}", file=sys.stderr)
        return 1
    progress = _Progress()
    started = time.perf_counter()
    try:
        seen = None if args.clean else _look(args.project, args.out)
        result = seen.unchanged(time.perf_counter() - started) if seen is not None else None
        if result is None:
            from .pipeline import build

            result = build(args.project, args.out, jobs=args.jobs, progress=progress, cache=not args.clean,
                           release=release, seen=seen)
    except BuildFailed as failed:
        progress.clear()
        for diagnostic in (*failed.warnings, *failed.errors):
            print(diagnostic, file=sys.stderr)
        print(f"site-builder: {failed}; the previous site was left as it was", file=sys.stderr)
        return 1
    except SiteError as err:
        progress.clear()
        print(f"site-builder: error: {err}", file=sys.stderr)
        return 1
    progress.clear()
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if args.timings:
        for stage, seconds in result.stages.items():
            print(f"  {stage:<18} {seconds:6.2f} s")
    print(result.summary())
    return 0


def _look(project: Path, out: Path | None) -> Inputs | None:
    """What a build of ``project`` would read (``write.look``); None if its settings cannot
    be read (the build then says what is wrong)."""
    from .config import load_config, theme_dir
    from .write import look

    try:
        config = load_config(project)
        theme_dir(config)
    except (SiteError, OSError, ValueError):
        return None
    return look(config, out if out is not None else project / "public")
