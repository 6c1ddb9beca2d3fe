"""The ``tasseograph`` command: ``analyze`` and ``scan`` here; ``run``, ``findings`` and ``check-config`` come from the runner."""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

import click

from tasseograph.bulk import TOP_TEMPLATES, BulkSummary, scan_stream
from tasseograph.bulkdelta import iter_deltas
from tasseograph.clibase import Group
from tasseograph.pipeline import analyze as analyze_delta
from tasseograph.pipeline import combine_verdicts
from tasseograph.runner.cli import commands as runner_commands
from tasseograph.schema import STATUS_RANK, Verdict

CHUNK_LINES = 50_000
"""Records per analyzed chunk: bounds memory for gigantic inputs."""
TEMPLATE_WIDTH = 160
"""Characters of a template shown in ``scan``'s text output (JSON keeps them whole)."""
FAIL_ON = click.Choice(["never", "warning", "critical"])


@click.group(cls=Group)
@click.version_option(package_name="tasseograph")
def main() -> None:
    """Flag hardware degradation in kernel logs (dmesg, kmsg, journal, syslog)."""


@main.command()
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--model", "model", default=None, help="Model name: rules, anthropic:claude-haiku-4-5, openai:NAME, sklearn:PATH. Default: Haiku when ANTHROPIC_API_KEY is set, else rules.")
@click.option("--prompt", "prompt", default=None, help="Prompt id or id@version (API models), e.g. triage-v1.")
@click.option("--host", default=None, help="Host name to report (default: from the log, else localhost).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--no-redact", is_flag=True, help="Send IPs, MACs, serials and names to the API model unmasked.")
@click.option("--chunk-lines", type=click.IntRange(min=100), default=CHUNK_LINES, show_default=True, help="Analyze inputs longer than this in consecutive chunks, so memory stays bounded.")
@click.option("--fail-on", type=FAIL_ON, default="never", show_default=True, help="Exit 1 when the verdict is at least this severe.")
def analyze(file: BinaryIO, model: str | None, prompt: str | None, host: str | None, fmt: str, no_redact: bool, chunk_lines: int, fail_on: str) -> None:
    """Analyze FILE (or - for stdin) and print a verdict."""
    options: dict[str, Any] = {"redact": False} if no_redact else {}
    verdicts = [
        counted(analyze_delta(part.delta, model=model, prompt=prompt, **options), part.lines)
        for part in iter_deltas(file, host=host, chunk_lines=chunk_lines)
    ]
    verdict = combine_verdicts(verdicts)
    click.echo(verdict.model_dump_json(indent=2) if fmt == "json" else format_text(verdict))
    _exit_if_at_least(verdict.status, fail_on)


@main.command()
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--top", type=click.IntRange(min=0), default=TOP_TEMPLATES, show_default=True, help="List this many of the most frequent templates.")
@click.option("--fail-on", type=FAIL_ON, default="never", show_default=True, help="Exit 1 when a signal line at least this severe was seen.")
def scan(file: BinaryIO, fmt: str, top: int, fail_on: str) -> None:
    """Summarise FILE (or - for stdin) fast, without a model: signal lines, noise, templates."""
    summary = scan_stream(file, top=top)
    click.echo(summary.model_dump_json(indent=2) if fmt == "json" else format_summary(summary))
    _exit_if_at_least(summary.worst_severity or "ok", fail_on)


def _exit_if_at_least(status: str, fail_on: str) -> None:
    """Exit 1 when ``status`` is at least as severe as ``fail_on`` (``never``: never)."""
    if fail_on != "never" and STATUS_RANK[status] >= STATUS_RANK[fail_on]:
        sys.exit(1)


def format_summary(summary: BulkSummary) -> str:
    """A bulk summary as aligned, human-readable lines."""
    boring = f" ({summary.boring_lines / summary.lines:.0%})" if summary.lines else ""
    # A full template table: at least this many templates, each count within its error.
    templates = f"{summary.templates:,}+ (counts +-{summary.template_error:,})" if summary.template_error else f"{summary.templates:,}"
    out = [
        f"{(summary.worst_severity or 'ok').upper()}  lines={summary.lines:,}  signal={summary.signal_lines:,}  "
        f"boring={summary.boring_lines:,}{boring}  templates={templates}  ({summary.total_s:.2f}s)"
    ]
    if summary.signals:
        width = max(len(s.signal_id) for s in summary.signals)
        out.append("signals:")
        out.extend(
            f"  {s.lines:>9,}  {s.severity:<8}  {s.category:<8}  {s.signal_id:<{width}}  {s.summary}" for s in summary.signals
        )
    if summary.top_templates:
        out.append(f"top {len(summary.top_templates)} templates:")
        out.extend(f"  {t.lines:>9,}  {_clip(t.template)}" for t in summary.top_templates)
    return "\n".join(out)


def _clip(text: str) -> str:
    return text if len(text) <= TEMPLATE_WIDTH else text[: TEMPLATE_WIDTH - 3] + "..."


def counted(verdict: Verdict, lines: int) -> Verdict:
    """``verdict`` of a chunk whose delta holds only the records analyze needs, with the chunk's line count."""
    verdict.compression = verdict.compression.model_copy(update={"lines_in": lines})
    return verdict


def format_text(verdict: Verdict) -> str:
    """A verdict as a few human-readable lines."""
    head = f"{verdict.status.upper()}  host={verdict.host}  model={verdict.model}"
    if verdict.prompt:
        head += f"  prompt={verdict.prompt}"
    if verdict.skipped:
        head += f"  (model call skipped: {verdict.skip_reason})"
    out = [head]
    for f in verdict.findings:
        out.append(f"  [{f.severity}] {f.category}: {f.summary}  (source: {f.source}{', x' + str(f.count) if f.count > 1 else ''})")
        out.extend(f"      | {line}" for line in f.evidence.splitlines()[:5])
    if verdict.model_error:
        out.append(f"  model error (verdict rests on signals): {verdict.model_error}")
    if verdict.usage.input_tokens or verdict.usage.output_tokens:
        u = verdict.usage
        out.append(
            f"  tokens in={u.input_tokens} out={u.output_tokens} cache_read={u.cache_read_tokens} "
            f"cache_write={u.cache_write_tokens}  cost=${verdict.cost_usd:.6f}  latency={verdict.latency_s:.2f}s"
        )
    return "\n".join(out)


for _command in runner_commands:
    main.add_command(_command)
