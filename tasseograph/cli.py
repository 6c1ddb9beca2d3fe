"""The ``tasseograph`` command: ``analyze`` and ``scan`` here; the runner's commands (``run``,
``findings``, ``check-config``) are loaded from ``tasseograph.runner.cli`` only when asked for."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from tasseograph import __version__
from tasseograph.clibase import Group

if TYPE_CHECKING:  # each command imports what its path needs, so --version stays cheap
    from tasseograph.bulk import BulkSummary
    from tasseograph.schema import Finding, NovelLine, Seen, Verdict

CHUNK_LINES = 50_000
"""Records per analyzed chunk: bounds memory for gigantic inputs."""
UNJUDGED_SHOWN = 10
"""Most "unknown kernel message, not judged" lines the text output shows (JSON has them all)."""
TEMPLATE_WIDTH = 160
"""Characters of a template shown in ``scan``'s text output (JSON keeps them whole)."""
FAIL_ON = click.Choice(["never", "warning", "critical"])
EXIT_FAIL_ON = 1
"""Exit code when the verdict reaches ``--fail-on``."""
EXIT_DEGRADED = 3
"""Exit code of ``analyze`` when the model failed and the verdict rests on the signals alone."""
RUNNER_COMMANDS = "tasseograph.runner.cli:commands"
WEB_COMMANDS = "tasseograph.web.cli:commands"


@click.group(cls=Group, lazy=[RUNNER_COMMANDS, WEB_COMMANDS])
@click.version_option(version=__version__, prog_name="tasseograph")
def main() -> None:
    """Flag hardware degradation in kernel logs (dmesg, kmsg, journal, syslog)."""


@main.command()
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--model", "model", default=None, help="Model name: local, rules, anthropic:claude-haiku-4-5, openai:NAME, sklearn:PATH. Default: Haiku when ANTHROPIC_API_KEY is set, else local.")
@click.option("--prompt", "prompt", default=None, help="Prompt id or id@version (API models), e.g. triage-v1.")
@click.option("--host", default=None, help="Host name to report (default: from the log, else localhost).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--no-redact", is_flag=True, help="Send IPs, MACs, serials and names to the API model unmasked.")
@click.option("--chunk-lines", type=click.IntRange(min=100), default=CHUNK_LINES, show_default=True, help="Analyze inputs longer than this in consecutive chunks, so memory stays bounded.")
@click.option("--fail-on", type=FAIL_ON, default="never", show_default=True, help="Exit 1 when the verdict is at least this severe.")
@click.option("--allow-degraded", is_flag=True, help="Exit 0, not 3, when the model failed and the verdict rests on the signals alone.")
@click.option("--examples", type=click.Choice(["none", "fixed", "retrieved"]), default="none", show_default=True, help="Past incidents in the prompt (API models): fixed few-shot cases, or the ones most like this log (prompt triage-v3).")
@click.option("-k", "k", type=click.IntRange(1, 16), default=4, show_default=True, help="Past incidents per prompt with --examples.")
def analyze(file: BinaryIO, model: str | None, prompt: str | None, host: str | None, fmt: str, no_redact: bool,
            chunk_lines: int, fail_on: str, allow_degraded: bool, examples: str, k: int) -> None:
    """Analyze FILE (or - for stdin) and print a verdict.

    \b
    Exit codes:
      0  a verdict (below --fail-on)
      1  the verdict reached --fail-on (this wins over 3)
      2  bad usage or input (one line on stderr)
      3  degraded: the model failed (unreachable, timeout, auth, bad reply...) and the
         verdict rests on the signal catalogue alone; --allow-degraded makes it 0
    """
    from tasseograph.bulkdelta import iter_deltas
    from tasseograph.pipeline import analyze as analyze_delta
    from tasseograph.pipeline import combine_verdicts
    from tasseograph.sniff import not_a_kernel_log

    options: dict[str, Any] = {"redact": False} if no_redact else {}
    if examples != "none":
        options |= {"examples": examples, "k": k}
        prompt = prompt or ("triage-v3" if examples == "retrieved" else None)

    def verdicts() -> Iterator[Verdict]:
        # One chunk's verdict at a time: combine_verdicts folds each in, so memory stays bounded.
        for i, part in enumerate(iter_deltas(file, host=host, chunk_lines=chunk_lines)):
            if i == 0 and (reason := not_a_kernel_log(part.delta)):
                name = getattr(file, "name", "-")
                click.echo(f"warning: {name}: this does not look like a kernel log ({reason}); judged anyway", err=True)
            yield counted(analyze_delta(part.delta, model=model, prompt=prompt, **options), part.lines)

    verdict = combine_verdicts(verdicts())
    click.echo(verdict.model_dump_json(indent=2) if fmt == "json" else format_text(verdict))
    _exit_if_at_least(verdict.status, fail_on)
    if verdict.degraded and not allow_degraded:
        sys.exit(EXIT_DEGRADED)


@main.command()
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--top", type=click.IntRange(min=0), default=None, help="List this many of the most frequent templates (default 20).")
@click.option("--fail-on", type=FAIL_ON, default="never", show_default=True, help="Exit 1 when a signal line at least this severe was seen.")
def scan(file: BinaryIO, fmt: str, top: int | None, fail_on: str) -> None:
    """Summarise FILE (or - for stdin) fast, without a model: signal lines, noise, templates."""
    from tasseograph.bulk import scan_stream

    summary = scan_stream(file) if top is None else scan_stream(file, top=top)
    click.echo(summary.model_dump_json(indent=2) if fmt == "json" else format_summary(summary))
    _exit_if_at_least(summary.worst_severity or "ok", fail_on)


def _exit_if_at_least(status: str, fail_on: str) -> None:
    """Exit 1 when ``status`` is at least as severe as ``fail_on`` (``never``: never)."""
    from tasseograph.schema import STATUS_RANK

    if fail_on != "never" and STATUS_RANK[status] >= STATUS_RANK[fail_on]:
        sys.exit(EXIT_FAIL_ON)


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
    """A verdict as a few human-readable lines; a degraded one says so on the first."""
    error = verdict.model_error
    head = f"{verdict.status.upper()}{' DEGRADED' if error else ''}  host={verdict.host}  model={verdict.model}"
    if verdict.prompt:
        head += f"  prompt={verdict.prompt}"
    if verdict.skipped:
        head += f"  (model call skipped: {verdict.skip_reason})"
    if error:
        head += f"  (model failed: {error.kind}; the verdict rests on the signal catalogue alone)"
    out = [head]
    for f in verdict.findings:
        out.append(f"  [{f.severity}] {f.category}: {f.summary}  (source: {f.source}{_seen(f)})")
        out.extend(f"      | {line}" for line in f.evidence.splitlines()[:5])
    if error:
        out.append(f"  model error: {error}")
    unjudged = [n for n in verdict.novel if not n.judged]
    if unjudged:
        out.extend(_unjudged_lines(unjudged))
    if verdict.usage.input_tokens or verdict.usage.output_tokens:
        u = verdict.usage
        out.append(
            f"  tokens in={u.input_tokens} out={u.output_tokens} cache_read={u.cache_read_tokens} "
            f"cache_write={u.cache_write_tokens}  cost=${verdict.cost_usd:.6f}  latency={verdict.latency_s:.2f}s"
        )
    return "\n".join(out)


def _unjudged_lines(unjudged: Sequence[NovelLine]) -> list[str]:
    """The "unknown kernel message, not judged" block: a few lines, and how many more JSON lists."""
    from tasseograph.novelty import TAGS
    from tasseograph.schema import NOT_JUDGED

    out = [f"  {NOT_JUDGED} ({len(unjudged)}):"]
    out.extend(f"      | {n.line}  [{TAGS[n.scope]}]" for n in unjudged[:UNJUDGED_SHOWN])
    if len(unjudged) > UNJUDGED_SHOWN:
        out.append(f"      | ... {len(unjudged) - UNJUDGED_SHOWN} more (--format json lists them all)")
    return out


def _seen(f: Finding) -> str:
    """``, x385, 12.3s..98765.4s``: how often and over what span a finding's lines came."""
    count = f", x{f.count}" if f.count > 1 else ""
    if f.first_seen is None or f.last_seen is None:
        return count
    first, last = _when(f.first_seen), _when(f.last_seen)
    return f"{count}, {first}" if first == last else f"{count}, {first}..{last}"


def _when(seen: Seen) -> str:
    if seen.time is not None:
        return seen.time.isoformat(timespec="seconds").replace("+00:00", "Z")
    if seen.monotonic is not None:
        return f"{seen.monotonic:.1f}s"
    return f"line {seen.lineno}"
