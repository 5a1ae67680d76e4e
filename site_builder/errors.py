"""Every error site-builder raises on purpose.

    SiteError                 base: anything the user can fix
    ├── ContentError          one problem in one input file, with its line
    └── BuildFailed           a build stopped; carries every ContentError found

A ContentError is a value as well as an exception: stages collect them in a
list so that one run reports every problem, then the pipeline raises a single
BuildFailed. Warnings use the same shape with ``level="warning"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SiteError(Exception):
    """Base class for errors a user can act on (no traceback is shown)."""


@dataclass(frozen=True)
class Diagnostic:
    """A finding about one input file, printed as ``path:line: level: message``."""

    path: Path
    """The file the finding is about."""
    line: int
    """1-based line number; 0 when the finding concerns the file as a whole."""
    message: str
    """What is wrong and, where possible, how to fix it."""
    level: str = "error"
    """``error`` (stops the build) or ``warning`` (reported, build goes on)."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.level}: {self.message}"


class ContentError(SiteError):
    """One error in one input file."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.diagnostic = Diagnostic(path, line, message)
        super().__init__(str(self.diagnostic))


class BuildFailed(SiteError):
    """The build found errors; nothing was written."""

    def __init__(self, errors: list[Diagnostic], warnings: tuple[Diagnostic, ...] = ()) -> None:
        self.errors = errors
        self.warnings = warnings
        count = len(errors)
        super().__init__(f"build failed with {count} error{'s' if count != 1 else ''}")
