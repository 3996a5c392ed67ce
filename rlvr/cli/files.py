"""Input and output files of the command line: never overwrite the input, never leave half a file.

An output file is written under a temporary name beside it and renamed into place when the run ends
(or is interrupted: what was judged is kept, whole lines only); a run that fails leaves the old file as
it was. An output that exists and is not a regular file (``/dev/null``, a FIFO) is written as it is. An
output that is the input — the same path, a link to it, a hard link — is refused before anything is
opened for writing. Writes hold off Ctrl-C until they complete, so an interrupted run's output ends with
a whole line.

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "out.jsonl")
    >>> with OutputFile(path) as sink:
    ...     _ = sink.write('{"reward": 1.0}\\n')
    >>> open(path).read(), sink.lines
    ('{"reward": 1.0}\\n', 1)
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import IO


class FileMistake(ValueError):
    """A file argument that cannot be used as given; the message is one line for the user."""


def refuse_output_onto_input(
    input_path: str | None, output_path: str | None, *, flag: str = "--output"
) -> None:
    """Raise :class:`FileMistake` when writing ``output_path`` would overwrite ``input_path``.

    Example:
        >>> import tempfile
        >>> source = tempfile.NamedTemporaryFile(suffix=".jsonl").name
        >>> _ = open(source, "w").write("")
        >>> refuse_output_onto_input(source, source)
        Traceback (most recent call last):
        ...
        rlvr.cli.files.FileMistake: --output ... is the input file: write the results elsewhere
    """
    if input_path in (None, "-") or output_path in (None, "-"):
        return
    same = os.path.realpath(input_path) == os.path.realpath(output_path)
    if not same and os.path.exists(output_path) and os.path.exists(input_path):
        same = os.path.samefile(input_path, output_path)  # a hard link, or a link under another name
    if same:
        raise FileMistake(f"{flag} {output_path} is the input file: write the results elsewhere")


@contextlib.contextmanager
def input_lines(path: str) -> Iterator[IO[bytes]]:
    """The input as a binary stream of lines (``-``: stdin); lines are decoded one by one downstream,
    so an undecodable line is reported with its number.

    Raises:
        FileMistake: the file cannot be opened (the message names it and why).
    """
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FileMistake(f"cannot read --input {path}: {exc.strerror or exc}") from None
    with stream:
        yield stream


class _NoInterruptions:
    """Holds off SIGINT while a write completes (main thread only), so a line is never cut in two."""

    def __enter__(self) -> None:
        self._masked = threading.current_thread() is threading.main_thread()
        if self._masked:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc: object) -> None:
        if self._masked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class OutputFile:
    """A text sink that counts whole lines written; a path is written to a temporary file and renamed
    into place on exit (``-`` or ``None``: stdout).

    On an exception other than ``KeyboardInterrupt`` the temporary file is removed and an existing
    output is left untouched; on ``KeyboardInterrupt`` what was written is kept and renamed into place.

    Args:
        path: the output file, ``-`` or ``None`` for stdout.
        flag: the command-line flag that named it, for messages.

    Raises:
        FileMistake: the file cannot be created, or what was written cannot be flushed (a full disk);
            then nothing half-written is left.
    """

    def __init__(self, path: str | None, *, flag: str = "--output") -> None:
        self.path = None if path in (None, "-") else path
        self.flag = flag
        self.lines = 0
        self._stream: IO[str] | None = None
        self._temporary: str | None = None

    @property
    def where(self) -> str:
        """Where the output goes, for messages: the path, or ``stdout``."""
        return self.path if self.path is not None else "stdout"

    def __enter__(self) -> OutputFile:
        if self.path is None:
            self._stream = sys.stdout
            return self
        target = os.path.realpath(self.path)  # through a link: its target gets the results
        if _is_special(target):  # a rename would replace the device itself
            try:
                self._stream = open(target, "w", encoding="utf-8")
            except OSError as exc:
                raise _cannot_write(self.flag, self.path, exc) from None
            return self
        descriptor, self._temporary = _temporary_beside(target, self.flag, self.path, suffix=".partial")
        self._stream = open(descriptor, "w", encoding="utf-8")
        self._target = target
        return self

    def write(self, text: str) -> int:
        """Write whole lines; Ctrl-C waits until they are written."""
        assert self._stream is not None, "OutputFile used outside its with block"
        try:
            with _NoInterruptions():
                written = self._stream.write(text)
        except BrokenPipeError:
            raise  # the reader of stdout left: the caller stops quietly
        except OSError as exc:
            raise _cannot_write(self.flag, self.where, exc) from None
        self.lines += text.count("\n")
        return written

    def flush(self) -> None:
        assert self._stream is not None, "OutputFile used outside its with block"
        try:
            with _NoInterruptions():
                self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _cannot_write(self.flag, self.where, exc) from None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._stream is None:
            return
        keep = kind is None or issubclass(kind, KeyboardInterrupt)
        failure: OSError | None = None
        with _NoInterruptions():
            try:
                self._stream.flush()  # a full disk shows here: the run fails, nothing half-written stays
                if self._stream is not sys.stdout:
                    self._stream.close()
            except OSError as exc:
                keep, failure = False, exc
            if self._temporary is not None:
                if keep:
                    os.replace(self._temporary, self._target)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(self._temporary)
        if failure is not None and kind is None:
            raise _cannot_write(self.flag, self.where, failure) from None


def write_whole(path: str, write: Callable[[str], None], *, flag: str) -> None:
    """Have ``write(file)`` write a temporary file beside ``path`` (same extension), then rename it into
    place: the file is there whole or not at all, and an old one stays until then. A device or a FIFO
    (``/dev/null``) is written as it is, never replaced.

    Raises:
        FileMistake: the file cannot be created or written (the flag and the path named).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "report.md")
        >>> write_whole(path, lambda file: open(file, "w").write("# report\\n"), flag="--markdown")
        >>> open(path).read()
        '# report\\n'
    """
    target = os.path.realpath(path)  # through a link: its target gets the file
    if _is_special(target):
        try:
            write(target)
        except OSError as exc:
            raise _cannot_write(flag, path, exc) from None
        return
    descriptor, temporary = _temporary_beside(
        target, flag, path, suffix=f".partial{os.path.splitext(target)[1]}"
    )
    try:
        os.close(descriptor)
        write(temporary)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _cannot_write(flag, path, exc) from None
        raise


def _is_special(target: str) -> bool:
    """Whether ``target`` exists and is not a regular file (/dev/null, a FIFO, a terminal)."""
    try:
        return not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        return False


def _temporary_beside(target: str, flag: str, shown: str, *, suffix: str) -> tuple[int, str]:
    """A new hidden file in ``target``'s folder with the permissions ``target`` will have."""
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=suffix, dir=os.path.dirname(target) or "."
        )
    except OSError as exc:
        raise _cannot_write(flag, shown, exc) from None
    os.fchmod(descriptor, _mode_for(target))
    return descriptor, temporary


def _cannot_write(flag: str, shown: str, exc: OSError) -> FileMistake:
    return FileMistake(f"cannot write {flag} {shown}: {exc.strerror or exc}")


def _mode_for(target: str) -> int:
    """The permission bits a new output gets: an existing file's, else what the umask allows."""
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        pass
    mask = 0o022
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:  # read, not set: os.umask() would change the process's mask to learn it
            if line.startswith("Umask:"):
                mask = int(line.split()[1], 8)
    return 0o666 & ~mask
