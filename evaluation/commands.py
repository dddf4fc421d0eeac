"""What every ``flask --app evaluation …`` command shares.

* Commands that need no database or secret (``panels solve``, every ``--help``) are marked
  ``@needs_no_settings`` and run with no configuration at all, so an auditor can replay a draw on a laptop.
  Any other command, when a production setting is missing, prints one line naming it and exits 1
  (``guard_commands``), never a traceback.
* ``stdout_to_stderr`` keeps a native library's own printing (the HiGHS solver's banner) off standard
  output, so that ``--json`` and ``panels solve`` print JSON alone.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
MARK = "needs_no_settings"


def needs_no_settings(command: F) -> F:
    """Mark a command's function as runnable without the production settings (put it under ``command``)."""
    setattr(command, MARK, True)
    return command


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Everything written to file descriptor 1 meanwhile, by Python or by native code, goes to stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _refusing(callback: Callable[..., Any], problem: str) -> Callable[..., Any]:
    @wraps(callback)
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise click.ClickException(problem)

    return refuse


def guard_commands(group: click.Group, problem: str) -> None:
    """Every command under ``group`` not marked ``needs_no_settings`` refuses to run, saying ``problem``.

    The refusing commands are copies in this app's group: the command objects are module-level and shared by
    every app of the process, which must not inherit one app's refusal (tests build several)."""
    for name, command in list(group.commands.items()):
        if isinstance(command, click.Group):
            guarded_group = copy.copy(command)
            guarded_group.commands = dict(command.commands)
            guard_commands(guarded_group, problem)
            group.commands[name] = guarded_group
        elif command.callback is not None and not getattr(command.callback, MARK, False):
            guarded = copy.copy(command)
            guarded.callback = _refusing(command.callback, problem)
            group.commands[name] = guarded
