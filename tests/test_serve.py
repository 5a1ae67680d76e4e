"""site-builder serve: live reload, errors shown, the last good site kept, nothing served from outside."""

from __future__ import annotations

import gc
import http.client
import os
import threading
import time
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

from site_builder import pipeline
from site_builder import serve as serve_module
from site_builder.pipeline import build
from site_builder.serve import EVENTS, Builds, make_server, serve

from .test_pipeline import ARTICLE, copy_example


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    project = copy_example(tmp_path)
    out = build(project).out
    server = make_server(out, "127.0.0.1", 0, Builds())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield project, int(server.server_address[1])
    server.shutdown()
    server.server_close()


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)  # sent as written: no client-side clean-up of '..'
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def test_pages_get_the_reload_script_and_other_files_do_not(served: tuple[Path, int]) -> None:
    _, port = served
    for path in ("/", "/index.html", "/" + ARTICLE):
        status, body = get(port, path)
        assert status == 200 and EVENTS.encode() in body and body.rstrip().endswith(b"</html>"), path
    status, body = get(port, "/static/style.css")
    assert status == 200 and EVENTS.encode() not in body


def test_build_output_never_has_the_reload_script(served: tuple[Path, int]) -> None:
    project, _ = served
    for path in (project / "public").rglob("*"):
        if path.is_file():
            assert b"__site-builder" not in path.read_bytes(), path


@pytest.mark.parametrize("path", ["/../site.toml", "/%2e%2e/site.toml", "/%2E%2E%2Fsite.toml",
                                  "/articles/..%2f..%2fsite.toml", "/articles/%2e%2e/%2e%2e/site.toml",
                                  "//etc/passwd", "/..\\site.toml", "/leak.html", "/leak-dir/site.toml",
                                  "/leak-index/"])
def test_nothing_outside_the_output_folder_is_served(served: tuple[Path, int], path: str) -> None:
    project, port = served
    os.symlink(project / "site.toml", project / "public" / "leak.html")
    os.symlink(project, project / "public" / "leak-dir")
    (project / "public" / "leak-index").mkdir()
    os.symlink(project / "site.toml", project / "public" / "leak-index" / "index.html")
    status, body = get(port, path)
    assert status == 404 and b"Annotated News" not in body and b"root:" not in body


def wait_for_event(stream: http.client.HTTPResponse, name: str, within: float = 120) -> str:
    """The data of the next event called ``name``, skipping others (and the keep-alives)."""
    event, data = "", []
    deadline = time.monotonic() + within
    while True:
        assert time.monotonic() < deadline, f"no {name} event in {within} s"
        line = stream.fp.readline().decode("utf-8").rstrip("\n")
        if line.startswith("event: "):
            event, data = line[7:], []
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and event:
            if event == name:
                return "\n".join(data)
            event = ""


def test_serve_rebuilds_reloads_and_keeps_the_last_good_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_example(tmp_path)
    looked: list[bool] = []  # each look at only the files the watcher told of: whether it could
    real = serve_module.look_again
    monkeypatch.setattr(serve_module, "look_again", lambda *args: looked.append(bool(found := real(*args))) or found)
    stop, ready = threading.Event(), threading.Event()
    address: list[tuple[str, int]] = []
    lines: list[str] = []

    def started(where: tuple[str, int]) -> None:
        address.append(where)
        ready.set()

    thread = threading.Thread(target=serve, kwargs={"root": project, "port": 0, "stop": stop, "ready": started,
                                                     "report": lines.append, "jobs": 1}, daemon=True)
    thread.start()
    try:
        assert ready.wait(60)
        port = address[0][1]
        events = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        events.request("GET", f"{EVENTS}?since=1")
        stream = events.getresponse()
        assert stream.getheader("Content-Type") == "text/event-stream"
        time.sleep(0.5)  # let the watcher settle

        article = project / "content" / "articles" / "russia-north-korea-pact.md"
        good = article.read_text(encoding="utf-8")
        article.write_text(good.replace("mutual aid agreement", "mutual aid treaty", 1), encoding="utf-8")
        wait_for_event(stream, "reload")
        assert b"mutual aid treaty" in get(port, "/" + ARTICLE)[1]

        article.write_text(good.replace("date: 2024-06-20", "date: 2024-13-45"), encoding="utf-8")
        error = wait_for_event(stream, "failed")
        assert "russia-north-korea-pact.md:3" in error
        status, page = get(port, "/" + ARTICLE)
        assert status == 200 and b"mutual aid treaty" in page  # the last good site
        assert any("still serving the last good site" in line for line in lines)

        article.write_text(good, encoding="utf-8")
        wait_for_event(stream, "reload")
        assert b"mutual aid agreement" in get(port, "/" + ARTICLE)[1]
        assert len(looked) >= 2 and all(looked)  # (the first edit may come as the watcher starts: all are looked at)

        config = project / "site.toml"
        config.write_text(config.read_text(encoding="utf-8").replace("Annotated News", "Annotated Newz"),
                          encoding="utf-8")
        wait_for_event(stream, "reload")
        assert b"Annotated Newz" in get(port, "/index.html")[1]
        events.close()
        deadline = time.monotonic() + 30  # builds leave garbage collection off; the server, once idle, collects
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    # the server's builds remember what they read from the cache, and free the rest once told (and
    # collected once the watcher was idle)
    assert pipeline._KEPT and not pipeline._shared and gc.isenabled()
    assert not pipeline._PENDING  # its last build's writes to the cache were made before it stopped


def test_a_busy_port_is_a_clear_error(served: tuple[Path, int]) -> None:
    project, port = served
    with pytest.raises(Exception, match="try another --port"):
        make_server(project / "public", "127.0.0.1", port, Builds())


def test_a_first_build_that_fails_serves_its_errors(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    article = project / "content" / "articles" / "russia-north-korea-pact.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    stop, ready = threading.Event(), threading.Event()
    address: list[tuple[str, int]] = []
    thread = threading.Thread(target=serve, kwargs={
        "root": project, "port": 0, "stop": stop, "report": lambda line: None, "jobs": 1,
        "ready": lambda where: (address.append(where), ready.set())}, daemon=True)
    thread.start()
    try:
        assert ready.wait(60)
        status, body = get(address[0][1], "/")
        assert status == 503 and b"missing required &#x27;title&#x27;" in body and EVENTS.encode() in body
    finally:
        stop.set()
        thread.join(30)


def test_an_edit_made_while_a_build_ran_is_built_once_watching(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher starts after the first build: an edit made meanwhile (a first build takes a
    while on a big site) is no change it sees, yet it is built as soon as it watches."""
    from site_builder import serve as serve_module

    project = copy_example(tmp_path)
    article = project / "content" / "articles" / "russia-north-korea-pact.md"
    builds: list[int] = []

    def first_build(*args: Any, **kwargs: Any) -> Any:
        result = build(*args, **kwargs)
        if not builds:  # after it read the files, before the watcher started
            article.write_text(article.read_text(encoding="utf-8").replace(
                "mutual aid agreement", "mutual aid treaty", 1), encoding="utf-8")
        builds.append(1)
        return result

    monkeypatch.setattr(serve_module, "build", first_build)
    stop, ready = threading.Event(), threading.Event()
    address: list[tuple[str, int]] = []
    thread = threading.Thread(target=serve, kwargs={
        "root": project, "port": 0, "stop": stop, "report": lambda line: None, "jobs": 1,
        "ready": lambda where: address.append(where) or ready.set()}, daemon=True)
    thread.start()
    try:
        assert ready.wait(60)
        events = http.client.HTTPConnection("127.0.0.1", address[0][1], timeout=60)
        events.request("GET", f"{EVENTS}?since=1")
        wait_for_event(events.getresponse(), "reload", within=20)
        assert b"mutual aid treaty" in get(address[0][1], "/" + ARTICLE)[1] and len(builds) == 2
        events.close()
    finally:
        stop.set()
        thread.join(30)
