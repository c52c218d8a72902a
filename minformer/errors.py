"""The errors minformer reports to its user in one line: a mistake in their input (`UserError`) and Ctrl-C with what
was kept (`Interrupted`). Anything else escaping a command is a bug and keeps its traceback."""

import contextlib
from collections.abc import Iterator


class UserError(ValueError):
    """A mistake in the user's input (a file, a flag, a folder); the message names it and says how to fix it."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a command; the message says what was kept and how to go on."""


MAX_CAUSE_CHARS = 160  # of a library's message quoted inside a one-line report


def first_line(error: BaseException) -> str:
    """The error's type and the first non-empty line of its message, without terminal colour codes or a final
    period, shortened to MAX_CAUSE_CHARS (for one-line reports that go on after it)."""
    text = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "")
    line = next((line.strip() for line in text.splitlines() if line.strip()), "").rstrip(".")
    if len(line) > MAX_CAUSE_CHARS:
        line = line[:MAX_CAUSE_CHARS].rsplit(" ", 1)[0] + " …"
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


@contextlib.contextmanager
def reading(what: str, fix: str) -> Iterator[None]:
    """Report any failure to read a user's file or folder (a truncated weights file, a damaged tokenizer.json, a
    malformed JSON line, ...) as a UserError naming `what`, the cause's first line and `fix`."""
    try:
        yield
    except (UserError, KeyboardInterrupt):
        raise
    except Exception as error:
        raise UserError(f"cannot read {what}: {first_line(error)}. {fix}") from error
