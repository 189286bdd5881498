"""The command line's Typer apps, set up once: plain help text and a readable usage line.

Typer's rich help shows a type beside every option (``--help <bool>``) and wraps required
arguments in braces (``{paths}...``); these apps print click's plain help instead, and a usage
line with the arguments as ``PATH...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["App", "Command"]


class Command(TyperCommand):
    """A command whose usage line names its arguments as click does: ``PATH...``, ``[JOURNAL]``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:  # a click context (typer's own click)
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = (param.metavar or param.name or "").upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
        return pieces


class App(typer.Typer):
    """A Typer app with plain help text whose commands are [Command][aiospaces.cli._typer.Command]s.

    Args:
        help: What the command group does.
        kwargs: Further ``typer.Typer`` settings.
    """

    def __init__(self, *, help: str, **kwargs: Any) -> None:  # noqa: A002 - Typer's own name
        kwargs.setdefault("no_args_is_help", True)
        super().__init__(help=help, rich_markup_mode=None, **kwargs)

    def command(  # type: ignore[override]  # the same, with our command class by default
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a command (see ``typer.Typer.command``)."""
        kwargs.setdefault("cls", Command)
        return super().command(name, **kwargs)
