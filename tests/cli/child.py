"""Run the command line in a child process as a terminal would, with every wait bounded.

Two things made subprocess tests flaky:

- **An inherited SIGINT disposition.** A shell starts background jobs (``make test &``) with
  SIGINT ignored, and an ignored signal stays ignored across ``exec``: the CLI then never sees
  the Ctrl-C a test sends, and runs on until the test times out. A terminal gives a program
  SIGINT at its default, so the child restores Python's default handler before the CLI starts.
- **Unbounded waits.** Reading a pipe or waiting for a process has no deadline of its own; a
  child that hangs then shows up as a pytest-timeout with nothing said. Every wait here has a
  deadline well below the per-test timeout, and a failure says what was awaited and shows the
  child's output.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, TYPE_CHECKING, Final, NoReturn, Self

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

# SIGINT back to Python's default (KeyboardInterrupt), then ``python -m aiospaces.cli``.
_LAUNCHER = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('aiospaces.cli', run_name='__main__', alter_sys=True)"
)
_NOTHING: Final = "<nothing>"


class CliProcess:
    """``aiospaces ARGS...`` in a child process; stdout is read by a thread, line by line.

    Use it as a context manager: on exit a child still running is terminated, then killed.
    """

    def __init__(self, *args: str, columns: int = 200) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        env = {**os.environ, "COLUMNS": str(columns), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", _LAUNCHER, *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._seen: list[str] = []
        self._reader = threading.Thread(target=self._read, name="cli-stdout", daemon=True)
        self._reader.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._stderr.close()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def readline(self, timeout: float) -> str:
        """Return the next line of stdout ("" at its end); fail after ``timeout`` seconds."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            line = _NOTHING
        if line is _NOTHING:
            self._fail(f"no line on stdout within {timeout} s")
        return self._take(line)

    def _take(self, line: str | None) -> str:
        if line is None:
            self._lines.put(None)  # stay at the end for later reads
            return ""
        self._seen.append(line)
        return line

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        """Return once ``ready()`` is true; fail if the child exits first or time runs out.

        This waits for a condition the test can observe, not for a guessed time: ``ready``
        is polled (every 10 ms) and the deadline only turns a hang into a clear failure.
        """
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                self._fail(f"the CLI exited ({self.process.returncode}) before {what}")
            if time.monotonic() > deadline:
                self._fail(f"{what} did not happen within {timeout} s")
            time.sleep(0.01)

    def interrupt(self, timeout: float) -> tuple[int, str]:
        """Send SIGINT (a Ctrl-C); return the exit code and the rest of stdout once it exits."""
        self.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        code = self.process.returncode
        if code is None:
            self._fail(f"the CLI did not exit within {timeout} s of SIGINT")
        self._reader.join(timeout=timeout)
        return code, self.rest()

    def rest(self) -> str:
        """Return the stdout lines not read yet (without waiting for more)."""
        lines = []
        with contextlib.suppress(queue.Empty):
            while line := self._take(self._lines.get_nowait()):
                lines.append(line)
        return "".join(lines)

    def _fail(self, message: str) -> NoReturn:
        self.rest()
        self._stderr.seek(0)
        stderr = self._stderr.read().decode("utf-8", "replace")
        pytest.fail(
            f"{message}\n--- stdout so far ---\n{''.join(self._seen)}\n--- stderr ---\n{stderr}",
            pytrace=False,
        )
