"""STUB (to be replaced by the prompts work)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    id: str
    version: str
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def render(self, *, lines: Sequence[str], host: str, examples: Sequence[Any] = ()) -> RenderedPrompt:
        body = "\n".join(lines)
        return RenderedPrompt(system="Triage kernel logs. Reply with JSON.", user=f"host: {host}\n<log>\n{body}\n</log>")


def get_prompt(name: str) -> Prompt:
    return Prompt(id=name.split("@")[0], version="1")


DEFAULT_PROMPT = "triage-v1"
