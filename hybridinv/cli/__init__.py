"""The ``hybridinv`` command. Each subcommand lives in its own module
(``hybridinv.cli.<name>``, dashes as underscores: ``plan-network`` is
``hybridinv.cli.plan_network``, exposing a click command named ``command``) and is
imported only when it runs, so ``hybridinv --help`` stays fast.

Errors in the input of any subcommand (:func:`hybridinv.cli._io.user_error`: invalid
data, an empty or malformed CSV, an unknown policy, an unverifiable model file, a
missing path) are printed by the group as one line, ``Error: <message>``, with exit
code 1; other exceptions keep their traceback. An interruption (Ctrl-C, SIGINT, or SIGTERM) stops the command
with one line on stderr, ``Interrupted by SIGINT: ...``, and exit code 130 (SIGINT) or 143 (SIGTERM), the shell's
128 + signal number; a command may add what it left behind (:data:`INTERRUPT_NOTE`)."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

__all__ = ["INTERRUPT_NOTE", "main"]

#: Key of ``click.Context.meta`` under which a subcommand may put a function returning what an interruption left
#: behind (``train``: whether ``--out`` holds a whole checkpoint), printed after the interruption's line.
INTERRUPT_NOTE = "hybridinv.interrupt_note"

SUBCOMMANDS: dict[str, str] = {
    "demo": "Plan one period for a bundled example catalog and compare KPIs.",
    "plan": "Plan orders for one period from catalog/state CSV files.",
    "plan-network": "Plan one period of a distribution network (supplier orders and shipments) from CSV files.",
    "train": "Train an RL agent (pure RL or hybrid) on a scenario.",
    "bench": "Run a benchmark suite of policies on scenarios.",
    "tune": "Tune reward weights or KPI multipliers for targets.",
    "monitor": "Replay the fallback rules over a per-period KPI log (period, demand, served, cost totalled over "
               "SKUs, as Monitor.history() writes it; not a plan) and render an HTML dashboard.",
    "twin": "Fit a digital twin from a transaction log.",
    "backtest": "Rolling-origin backtest of policies on a demand history or a built-in suite.",
    "shadow": "Replay recommended vs incumbent decisions (shadow mode).",
}


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt is for SIGINT, so that ``finally`` blocks run (the ES
    worker pool is terminated, a model folder being written is removed, not left as ``.writing``).

    Python's default for SIGTERM ended the process at once: no message, worker processes left running (they printed
    BrokenPipeError tracebacks later), and a model folder being written at that moment left as a
    ``.writing`` staging folder beside it."""


#: The process that installed :func:`_raise_terminated` (a forked worker inherits the handler, not the command).
_HANDLER_OWNER = [0]


def _raise_terminated(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM during the clean-up ends the process at once
    if os.getpid() != _HANDLER_OWNER[0]:  # a forked worker (a process pool's): ends as it did, at once and silently
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise _Terminated


def _close_progress_bars() -> None:
    """Close the tqdm bars still open, so that an interruption's line starts a line of its own.

    A bar being made when Ctrl-C came (its first display written, the context that closes it not yet entered: ES
    makes its bar right after writing its first checkpoint) was never closed, and the line followed the bar's text
    on the same line (``es:   0%|   | 0/1000 [00:00<?, ?gen/s]Interrupted by SIGINT: ...``; a CI run, 2026-12-07).
    """
    std = sys.modules.get("tqdm.std")  # no bar was ever made unless tqdm was imported
    if std is None:
        return
    import contextlib

    for bar in list(getattr(std.tqdm, "_instances", ())):
        with contextlib.suppress(Exception):  # a bar interrupted in its constructor may lack attributes
            bar.close()


def _interrupted(ctx: click.Context, exc: BaseException) -> int:
    """Print the one line of an interruption and return its exit code (128 + the signal number)."""
    _close_progress_bars()
    signum = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
    note: Callable[[], str] | None = ctx.meta.get(INTERRUPT_NOTE)
    try:
        left = f"; {note()}" if note is not None else ""
    except Exception:  # noqa: BLE001 - the note is a courtesy: never a traceback instead of the line
        left = ""
    click.echo(f"Interrupted by {signum.name}: stopped before the end{left}", err=True)
    return 128 + int(signum)


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        name = f"hybridinv.cli.{cmd_name.replace('-', '_')}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            return None
        command: click.Command = module.command
        return command

    def invoke(self, ctx: click.Context) -> object:
        import warnings

        shown = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: object = None, line: str | None = None) -> None:
            # the library's own warnings as "Warning: ..." lines on stderr, as plan prints them, not
            # as Python's "path:line: PlanningWarning: ..." followed by the source line
            if category.__module__.startswith("hybridinv"):
                click.echo(f"Warning: {message}", err=True)
            else:
                shown(message, category, filename, lineno, file, line)  # type: ignore[arg-type]

        warnings.showwarning = show
        main_thread = threading.current_thread() is threading.main_thread()  # where signal handlers can be set
        _HANDLER_OWNER[0] = os.getpid()
        terminate: Any = signal.signal(signal.SIGTERM, _raise_terminated) if main_thread else None
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, _Terminated) as exc:  # click printed Ctrl-C as "Aborted!" with exit code 1
            raise click.exceptions.Exit(_interrupted(ctx, exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own exits (``--help``, ``--version``, a prompt's Abort) are not input errors
        except BrokenPipeError:
            # the reader of the output went away (``hybridinv plan ... --out - | head``): stop quietly, as
            # ``cat`` does, instead of "Error: [Errno 32] Broken pipe"; stdout goes to devnull so that
            # the interpreter's last flush does not raise again (the recipe of the Python docs, "signal")
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            from hybridinv.cli._io import user_error

            message = user_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc
        finally:
            warnings.showwarning = shown
            if main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if terminate is None else terminate)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(sorted(SUBCOMMANDS.items()))


@click.group(cls=_LazyGroup)
@click.version_option(package_name="hybridinv")
def main() -> None:
    """hybridinv: inventory replenishment with RL and optimization."""


if __name__ == "__main__":  # pragma: no cover
    main()
