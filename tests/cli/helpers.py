"""Run ``opwatch`` as a user does: its output and exit code, in this process or in a new one.

:func:`opwatch` calls the console script's own ``main`` in this process, as a process would
run it: the same argv, working directory and terminal (``COLUMNS=200``, ``NO_COLOR=1``), the
same exit codes (``main`` maps errors to them; a crash is 1 with its traceback on stderr), and
stdout and stderr captured apart, log lines included. A subprocess per command paid the
interpreter's start and every import again: over a second a command, for ~36 commands.
:func:`opwatch_process` still starts the real ``python -m opwatch``, for the few tests that
need a separate interpreter (the entry point itself, a process to kill or to serve).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from unittest import mock

import tomli_w
from rich.console import Console

from opwatch.cli.app import CHATTY_LOGGERS, err, main, out
from opwatch.demo import demo_config_dir
from opwatch.demo.telemetry import DemoSpec, generate

TERMINAL = {"COLUMNS": "200", "NO_COLOR": "1"}
"""The terminal every run sees: wide enough that tables do not wrap, and no colour codes."""


def opwatch(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``opwatch *args`` in ``cwd``, in this process, as a process would have run it."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with _as_a_process(args, cwd, stdout, stderr):
        code = _exit_code()
    return subprocess.CompletedProcess(
        ["opwatch", *args], code, stdout.getvalue(), stderr.getvalue()
    )


def opwatch_process(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m opwatch *args`` in ``cwd``, a new interpreter, on the same terminal."""
    return subprocess.run(
        [sys.executable, "-m", "opwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **TERMINAL},
        timeout=timeout,
        check=False,
    )


def _exit_code() -> int:
    """Run ``main``: the exit code a process would have ended with."""
    try:
        main()
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)  # sys.exit("message"): printed, status 1
        return 1
    except Exception:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        return 1
    return 0


@contextlib.contextmanager
def _as_a_process(
    args: tuple[str, ...], cwd: Path | None, stdout: IO[str], stderr: IO[str]
) -> Iterator[None]:
    """This process made, for the block, what ``opwatch *args`` would start as, then restored:
    argv, working directory, environment, standard streams, the CLI's consoles and logging."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, TERMINAL))
        stack.enter_context(mock.patch.object(sys, "argv", ["opwatch", *args]))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(stdout))
        stack.enter_context(contextlib.redirect_stderr(stderr))
        stack.enter_context(_consoles_writing_to(stdout, stderr))
        stack.enter_context(_logging_restored())
        yield


@contextlib.contextmanager
def _consoles_writing_to(stdout: IO[str], stderr: IO[str]) -> Iterator[None]:
    """The CLI's module-level ``out`` and ``err`` consoles replaced, in every CLI module that
    holds them, by consoles over ``stdout`` and ``stderr``: those were created at import, when
    the terminal (width, colours) of the test run was read, not the terminal of this run."""
    replacements = [  # created now, so they read TERMINAL as a new process's consoles do
        (out, Console(file=stdout)),
        (err, Console(file=stderr, stderr=True)),
    ]
    cli_modules = [
        module
        for name, module in list(sys.modules.items())
        if name == "opwatch.cli" or name.startswith("opwatch.cli.")
    ]
    with contextlib.ExitStack() as stack:
        for module in cli_modules:
            for attribute, value in list(vars(module).items()):
                for original, replacement in replacements:
                    if value is original:
                        stack.enter_context(mock.patch.object(module, attribute, replacement))
        yield


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """The root logger's handlers and level, and the chatty loggers' levels, as before the
    block: ``configure_logging`` replaces them (``basicConfig(force=True)``) for its process,
    and here the process is the test run."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        for name, logger_level in levels.items():
            logging.getLogger(name).setLevel(logger_level)


def demo_installation(folder: Path, spec: DemoSpec) -> Path:
    """``folder`` made an installation: generated data of ``spec``, the demo config tree, and
    an opwatch.toml mapping the tables, results in ``results/``."""
    data = generate(spec, folder / "data")
    shutil.copytree(demo_config_dir(), folder / "config")
    settings = {
        "config": {"projects": "config/opmon"},
        "engine": {"results": "results"},
        "tables": data.tables,
    }
    (folder / "opwatch.toml").write_text(tomli_w.dumps(settings))
    return folder
