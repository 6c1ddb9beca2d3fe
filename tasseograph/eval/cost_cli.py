"""The ``tasseograph-eval cost`` command: cost per host-month on a folder of your own kernel logs."""

from __future__ import annotations

from pathlib import Path

import click

from tasseograph.errors import UsageError


@click.command()
@click.argument("logdir", type=click.Path(path_type=Path))
@click.option("--hosts", "fleet_hosts", type=click.IntRange(min=1), default=None,
              help="Fleet size the monthly total is stated for (default: the hosts in LOGDIR).")
@click.option("--interval", default="5m", show_default=True,
              help="How often a collector delivers each host's new lines (e.g. 5m, 300, 1h).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A runner config: its [model], [polling], [baseline] and [sources] settings are replayed "
                   "(default: the runner's defaults with the baseline on).")
@click.option("--baseline/--no-baseline", default=None,
              help="Per-host baselines on or off (default: on, or as --config says).")
@click.option("--fold/--no-fold", default=None,
              help="Baseline-aware compression on or off (default: on with the baseline, or as --config says).")
@click.option("--batch-hosts", type=click.IntRange(min=1, max=50), default=10, show_default=True,
              help="Hosts per call in the batching lever rows.")
@click.option("--price", "price_model", default="claude-haiku-4-5", show_default=True,
              help="Model whose prices apply (a key of tasseograph/data/prices.toml).")
@click.option("--limit-hosts", type=click.IntRange(min=1), default=None,
              help="Replay only the first N hosts of LOGDIR by name (a quick look at a big folder).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the whole report (every host, every input) as JSON here.")
def cost(logdir: Path, fleet_hosts: int | None, interval: str, config_path: Path | None, baseline: bool | None,
         fold: bool | None, batch_hosts: int, price_model: str, limit_hosts: int | None, json_out: Path | None) -> None:
    """Replay LOGDIR's per-host kernel logs (kern.log*, dmesg dumps, journal exports, SPOOL/<host>/*.log)
    through the runner's schedule and print the cost per host-month, with every input stated."""
    from tasseograph.eval.cost import Pricing, cost_report
    from tasseograph.eval.costreplay import ReplaySettings, run_replay
    from tasseograph.eval.costtext import render_report
    from tasseograph.eval.logdir import read_logdir
    from tasseograph.pricing import get_price
    from tasseograph.runner.config import RunnerConfig, load_config, parse_duration

    try:
        interval_s = parse_duration(interval)
    except ValueError as exc:
        raise UsageError(f"--interval: {exc}") from None
    if interval_s <= 0:
        raise UsageError("--interval must be more than 0")
    get_price(price_model)  # an unknown model fails before the replay, not after it
    config = load_config(config_path, insecure_ok=True) if config_path else RunnerConfig()
    use_baseline = baseline if baseline is not None else (config.baseline.enabled if config_path else True)
    settings = ReplaySettings.from_config(config, interval_s=interval_s, baseline=use_baseline, fold=fold,
                                          batch_sizes=(batch_hosts,))
    logs = read_logdir(logdir, limit_hosts=limit_hosts)
    report = cost_report(logs, run_replay(logs, settings), Pricing(model=price_model, fleet_hosts=fleet_hosts))
    click.echo(render_report(report))
    if json_out is not None:
        try:
            json_out.write_text(report.model_dump_json(indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--json {json_out}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"wrote {json_out}")


commands = [cost]
"""Added to ``tasseograph-eval`` lazily (``eval/cli.py``)."""
