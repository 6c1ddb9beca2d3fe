"""STUB (to be replaced by the redaction work)."""

from __future__ import annotations

from collections.abc import Iterable


class Redactor:
    def __init__(self, hosts: Iterable[str] = ()) -> None:
        self.hosts = list(hosts)

    def redact(self, text: str) -> str:
        return text

    def restore(self, text: str) -> str:
        return text
