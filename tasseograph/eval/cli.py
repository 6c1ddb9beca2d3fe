"""STUB: ``tasseograph-eval`` (filled by the eval work)."""

import click


@click.group()
def main() -> None:
    """Replay labelled datasets through models and prompts; score, compare, gate."""
