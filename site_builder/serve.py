"""``site-builder serve``: build, serve the site, rebuild on every change, reload open pages.

The server only ever serves files inside the output folder (``..`` and its
encodings are dropped by the standard handler; symbolic links leading out are
refused here). While serving, and only then, HTML responses get a small script
that listens for build events (server-sent events, no dependencies) and
reloads the page, or shows the build's errors over it. A failed build leaves
the last good site in place and being served.
"""

from __future__ import annotations

import html
import http.server
import ipaddress
import os
import posixpath
import threading
import urllib.parse
from collections.abc import Callable, Collection
from io import BytesIO
from pathlib import Path
from typing import Any

import watchfiles

from .config import load_config, theme_dir
from .errors import BuildFailed, SiteError
from .pipeline import build, collect, flush, release, warm
from .write import Inputs, Stats, look, look_again

EVENTS = "/__site-builder/events"
SCRIPT = """<script>/* site-builder serve: live reload */(function () {
  var source = new EventSource("%s?since=%d");
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("failed", function (event) {
    var box = document.getElementById("site-builder-error") || document.createElement("pre");
    box.id = "site-builder-error";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0 0 auto 0;z-index:2147483647;margin:0;padding:1em;max-height:60vh;" +
      "overflow:auto;background:#7a1010;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap";
    box.textContent = "The build failed; this is the last good version of the page.\\n\\n" + event.data;
    document.body.appendChild(box);
  });
})();</script>"""


class Builds:
    """What the last build said, for the pages waiting on it: a version and an error."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.version = 0
        self.error = ""

    def publish(self, error: str = "") -> None:
        with self.changed:
            self.version += 1
            self.error = error
            self.changed.notify_all()


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder with live reload; nothing outside it."""

    builds: Builds
    quiet: bool = True

    def __init__(self, *args: Any, directory: str, builds: Builds, **kwargs: Any) -> None:
        self.builds = builds
        super().__init__(*args, directory=directory, **kwargs)

    def translate_path(self, path: str) -> str:
        """The file for a URL path, or a path that does not exist if it would lead out of the folder."""
        found = super().translate_path(path)
        return found if self._inside(found) else os.path.join(self.directory, "__outside__", "404")

    def _inside(self, path: str) -> bool:
        root, real = os.path.realpath(self.directory), os.path.realpath(path)
        return real == root or real.startswith(root + os.sep)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == EVENTS:
            self._events()
        else:
            super().do_GET()

    def send_head(self) -> Any:
        path = self.translate_path(self.path)
        if urllib.parse.urlsplit(self.path).path.endswith("/"):
            path = os.path.join(path, "index.html")
            if not self._inside(path):  # an index.html that links out of the folder
                self.send_error(404, "File not found")
                return None
        elif os.path.isdir(path):
            return super().send_head()  # the standard redirect to the folder
        if not path.endswith(".html"):
            return super().send_head()
        try:
            with open(path, "rb") as page:
                content = page.read()
        except OSError:
            if self.builds.error:
                return self._send(503, _error_page(self.builds.error).encode("utf-8"), self.builds.version)
            return super().send_head()  # the standard 404
        return self._send(200, content, self.builds.version)

    def _send(self, status: int, content: bytes, version: int) -> BytesIO:
        script = (SCRIPT % (EVENTS, version)).encode("utf-8")
        at = content.rfind(b"</body>")
        content = content[:at] + script + content[at:] if at >= 0 else content + script
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return BytesIO(content)

    def _events(self) -> None:
        """Server-sent events: 'reload' after each good build, 'failed' with the errors of a bad one."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        try:
            seen = int(query.get("since", ["0"])[0])
        except ValueError:
            seen = 0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while True:
                version, error = self._next(seen)
                if version == seen:
                    self.wfile.write(b": still here\n\n")
                elif error:
                    data = "".join(f"data: {line}\n" for line in error.splitlines())
                    self.wfile.write(f"event: failed\n{data}\n".encode())
                else:
                    self.wfile.write(b"event: reload\ndata: \n\n")
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _next(self, seen: int) -> tuple[int, str]:
        """The build version and error once the version differs from ``seen`` (or after 15 s)."""
        with self.builds.changed:
            self.builds.changed.wait_for(lambda: self.builds.version != seen, timeout=15)
            return self.builds.version, self.builds.error

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def _error_page(error: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed</title></head>"
            f"<body><main><h1>The build failed</h1><pre>{html.escape(error)}</pre></main></body></html>")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_server(out: Path, host: str, port: int, builds: Builds) -> Server:
    """An HTTP server for ``out`` (not started). Port 0 picks a free one."""
    def handler(*args: Any) -> Handler:
        return Handler(*args, directory=str(out), builds=builds)
    try:
        return Server((host, port), handler)
    except OSError as err:
        raise SiteError(f"cannot serve on {host}:{port}: {err.strerror}; try another --port") from None


def watched(root: Path) -> list[Path]:
    """The folders whose changes mean a rebuild: content/, templates/, themes/ and the theme in use.
    (site.toml is polled: editors that save by renaming would leave a watch on the old file.)"""
    paths = [root / name for name in ("content", "templates", "themes") if (root / name).is_dir()]
    try:
        theme = theme_dir(load_config(root))
    except SiteError:
        theme = None
    if theme is not None and not any(theme.is_relative_to(p) for p in paths):
        paths.append(theme)
    return paths


def _describe(failed: BuildFailed) -> str:
    return "\n".join(str(d) for d in failed.errors)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, out: Path | None = None, jobs: int | None = None,
          report: Callable[[str], None] = print, stop: threading.Event | None = None,
          ready: Callable[[tuple[str, int]], None] = lambda address: None) -> None:
    """Build, serve and rebuild on changes until ``stop`` is set (or Ctrl-C)."""
    out = out if out is not None else root / "public"
    builds = Builds()

    built: list[str | None] = [None]
    """The fingerprint of the inputs that the last build read (see ``missed``)."""
    garbage = [False]
    """Whether a build's garbage is left to collect (see ``collect``): once no file changed for a while."""

    looked: list[tuple[Inputs, Stats] | None] = [None]
    """The last build's inputs, and their stats as found (see ``look_again``)."""

    def rebuild(changed: Collection[str] = ()) -> None:
        """Build, having looked again only at the ``changed`` files, if given (the rest is as looked last)."""
        seen = look_again(*looked[0], changed) if changed and looked[0] is not None else None
        seen = seen or _look(root, out)
        looked[0] = (seen, dict(seen.stats)) if seen is not None else None
        built[0] = seen.fingerprint if seen is not None else None
        try:  # what the build made is freed once the pages are told (release)
            result = build(root, out, jobs=jobs, release=False, remember=True, seen=seen)
        except BuildFailed as failed:
            for diagnostic in (*failed.warnings, *failed.errors):
                report(str(diagnostic))
            report(f"site-builder: {failed}; still serving the last good site")
            builds.publish(_describe(failed))
        except SiteError as err:
            report(f"site-builder: error: {err}")
            builds.publish(str(err))
        else:
            for warning in result.warnings:
                report(str(warning))
            report(result.summary())
            builds.publish()
        finally:
            flush()  # the cache, for the next build: after the pages were told
            release()
            garbage[0] = True

    rebuild()
    server = make_server(out, host, port, builds)
    thread = threading.Thread(target=server.serve_forever, name="site-builder serve", daemon=True)
    thread.start()
    bound, bound_port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{bound}]" if ":" in bound else bound
    report(f"serving {out} at http://{shown}:{bound_port}/ (Ctrl-C to stop)")
    if not _loopback(host):
        report(f"warning: {host} is not a loopback address: other machines can reach this server")
    ready((bound, bound_port))
    warmed = False
    try:
        watching = True
        while watching:
            watching = False
            folders, settings, started = watched(root), _stat(root / "site.toml"), False
            for changes in watchfiles.watch(*folders, stop_event=stop, debounce=300, raise_interrupt=False,
                                            yield_on_timeout=True, rust_timeout=500):
                now = _stat(root / "site.toml")
                # Once watching: an edit made before (while the last build ran) is not seen as a change
                missed = not started and built[0] is not None and getattr(_look(root, out), "fingerprint", "") != built[0]
                started = True
                if not changes and now == settings and not missed:
                    if garbage[0]:  # half a second without changes
                        if not warmed:  # for the first edit: as fast as the next ones
                            warm(root)
                            warmed = True
                        collect()
                        garbage[0] = False
                    continue
                told = bool(changes) and now == settings and not missed  # else look at every file
                settings = now
                names = sorted({posixpath.basename(path) for _, path in changes}) or (
                    ["site.toml"] if not missed else ["files edited during the last build"])
                report(f"changed: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
                rebuild({path for _, path in changes} if told else ())
                if watched(root) != folders:  # templates/ or themes/ appeared, or the theme changed
                    watching = True
                    break
    finally:
        flush()
        server.shutdown()
        server.server_close()


def _look(root: Path, out: Path) -> Inputs | None:
    """What a build of ``root`` would read (None if its settings cannot be read: the build says why)."""
    try:
        return look(load_config(root), out)
    except SiteError:
        return None


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

