"""Versioned jinja2 prompt templates: ``get_prompt("triage-v1")`` and friends.

Templates live in ``prompts/<id>/<version>.j2`` at the repository root; a wheel ships the
folder as ``tasseograph/_prompts``, which is searched first. Each file starts with TOML front
matter inside a jinja comment (``id``, ``version``, ``description``, ``kind``) and defines two
blocks, ``system`` and ``user``. The system block may use only ``examples``, so it is the same
bytes for every delta and can be cached; the user block holds the log, and the past incidents
retrieved for this delta (``incidents``) in the prompts that take them (``triage-v3``).

Log lines are untrusted: templates render them through the ``untrusted`` filter, which
defuses anything that would close or open a delimiting tag (``</kernel_log>``, ``<example>``).
See ``prompts/README.md`` for how to add a version.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from tasseograph.errors import ConfigError, UnknownPromptError, UsageError

if TYPE_CHECKING:  # jinja2 is imported on the first render: local models never render a prompt
    import jinja2

DEFAULT_PROMPT = "triage-v1"
"""Prompt used when none is named (the baseline the design asks for)."""

_PACKAGE = Path(__file__).resolve().parent
PROMPT_DIRS: tuple[Path, ...] = (_PACKAGE / "_prompts", _PACKAGE.parent / "prompts")
"""Where templates are looked for, in order: the wheel's copy, then the source tree."""

_FRONT_MATTER = re.compile(r"\A\{#-?\s*\n(?P<toml>.*?)\n\s*-?#\}", re.DOTALL)
# Tags our templates use as delimiters; log text must never open or close one.
_DELIMITER_TAG = re.compile(
    r"<(\s*/?\s*)(kernel_log|operator_notes|examples?|reply|past_incidents?|past_log|verdict|why|operator_found"
    r"|fleet_digest|item|silent_hosts|new_to_the_fleet)\b",
    re.IGNORECASE,
)


class PromptMeta(BaseModel):
    """Front matter of a template file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Prompt id, the name of its folder (``triage-v1``)."""
    version: str
    """Version, the file's stem (``1`` for ``1.j2``); never edit a released version."""
    description: str
    """What the prompt does and how it differs from its predecessor."""
    kind: Literal["single", "batch", "review"] = "single"
    """``batch`` prompts take several hosts at once (``Prompt.render_batch``); ``review`` prompts
    take a fleet digest (``Prompt.render_review``)."""


@dataclass(frozen=True)
class RenderedPrompt:
    """A rendered prompt: the cacheable system part and the per-delta user part."""

    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    """One version of a prompt template.

    Example:
        >>> p = get_prompt("triage-v1")
        >>> p.ref
        'triage-v1@1'
        >>> rendered = p.render(lines=["EDAC MC0: 1 CE memory read error"], host="web-01")
    """

    id: str
    version: str
    description: str = ""
    path: Path | None = None
    """Template file (None only for prompts built in code, which cannot render)."""
    kind: Literal["single", "batch", "review"] = "single"
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ref(self) -> str:
        """``id@version``, as recorded in every verdict and result."""
        return f"{self.id}@{self.version}"

    def render(
        self, *, lines: Sequence[str], host: str, examples: Sequence[Any] = (), notes: str = "",
        incidents: Sequence[Any] = (),
    ) -> RenderedPrompt:
        """Render the prompt for one host's (compressed, redacted) lines.

        Args:
            lines: the lines to show the model, in order.
            host: the host name (or its placeholder) shown in the log block's attribute.
            examples: few-shot examples, objects with ``.text`` and ``.reply`` or dicts with
                those keys (``reply`` a JSON string, a dict or a pydantic model); templates
                without examples support ignore them.
            notes: operators' knowledge of this host (known quirks), shown in the user part
                by templates that support it (``triage-v2``); others ignore it.
            incidents: past incidents retrieved for this delta (``PastIncident.as_example()``
                dicts: ``text``, ``reply`` and optionally ``note``, ``kind``, ``similarity``,
                ``same_host``), shown in the user part, after the cacheable system part, by
                templates that take them (``takes_incidents``).

        Returns:
            The system and user parts; the same inputs always give the same bytes.

        Raises:
            UsageError: ``incidents`` given to a prompt that does not show them.
        """
        if self.kind == "review":
            raise UsageError(f"prompt {self.ref} reviews a fleet digest; triage a delta with a triage prompt")
        if incidents and not self.takes_incidents:
            raise UsageError(f"prompt {self.ref} does not show retrieved past incidents; use triage-v3")
        if self.kind == "batch":
            return self.render_batch(hosts=[(host, lines)], examples=examples, notes={host: notes} if notes else None)
        return self._render(host=host, lines=list(lines), examples=_examples(examples), notes=notes,
                            incidents=_examples(incidents))

    @property
    def takes_incidents(self) -> bool:
        """True when the template shows retrieved past incidents (it uses ``incidents``)."""
        return self.path is not None and "incidents" in _variables(self.path)

    def render_batch(
        self,
        *,
        hosts: Sequence[tuple[str, Sequence[str]]],
        examples: Sequence[Any] = (),
        notes: Mapping[str, str] | None = None,
    ) -> RenderedPrompt:
        """Render a multi-host prompt: one log block per ``(host, lines)`` pair.

        ``notes`` maps a host name, as given in ``hosts``, to its operators' notes; templates
        that support them (``triage-batch-v1@2``) show each beside that host's log block.

        Raises:
            UsageError: the prompt is not a batch prompt.
        """
        if self.kind != "batch":
            raise UsageError(f"prompt {self.ref} takes one host; use a batch prompt such as triage-batch-v1")
        notes = notes or {}
        blocks = [{"name": name, "lines": list(lines), "notes": notes.get(name, "")} for name, lines in hosts]
        return self._render(hosts=blocks, examples=_examples(examples))

    def render_review(self, **digest: Any) -> RenderedPrompt:
        """Render a fleet-review prompt from a digest's fields (``tasseograph.review.llm`` passes them).

        Raises:
            UsageError: the prompt is not a review prompt.
        """
        if self.kind != "review":
            raise UsageError(f"prompt {self.ref} is not a fleet-review prompt; use review-v1")
        return self._render(**digest)

    def _render(self, **context: Any) -> RenderedPrompt:
        if self.path is None:
            raise UsageError(f"prompt {self.ref} has no template file")
        tmpl = _template(self.path)
        ctx = tmpl.new_context(context)
        system = "".join(tmpl.blocks["system"](ctx)).strip()
        user = "".join(tmpl.blocks["user"](ctx)).strip()
        return RenderedPrompt(system=system + "\n", user=user + "\n")


def untrusted(text: object) -> str:
    """Defuse text from a log so it cannot close or open one of the prompt's delimiting tags."""
    return _DELIMITER_TAG.sub(r"&lt;\1\2", str(text))


def attribute(text: object) -> str:
    """Make text safe inside a double-quoted tag attribute."""
    return untrusted(str(text).replace('"', "&quot;").replace("\n", " "))


def reply_json(reply: object) -> str:
    """An example's reply as one line of JSON (strings are taken as already JSON)."""
    if isinstance(reply, str):
        return reply.strip()
    if isinstance(reply, BaseModel):
        reply = reply.model_dump(mode="json")
    return json.dumps(reply, ensure_ascii=False)


_EXAMPLE_EXTRAS: dict[str, Any] = {"note": "", "kind": "", "similarity": "", "same_host": False}
"""Optional fields of an example or past incident, and what templates see when one is absent."""


def _examples(examples: Sequence[Any]) -> list[dict[str, Any]]:
    """Examples (or past incidents) as plain dicts of one shape: ``text``, ``reply`` (one line of
    JSON), ``note``, ``kind``, ``similarity`` and ``same_host``."""
    out = []
    for ex in examples:
        get = ex.get if isinstance(ex, Mapping) else (lambda key, default=None, ex=ex: getattr(ex, key, default))
        text, reply = get("text"), get("reply")
        if text is None or reply is None:
            raise UsageError("each few-shot example needs a 'text' and a 'reply'")
        extras = {key: get(key, default) for key, default in _EXAMPLE_EXTRAS.items()}
        out.append({"text": str(text).strip("\n"), "reply": reply_json(reply),
                    **{k: v if isinstance(v, bool) else str(v or "") for k, v in extras.items()}})
    return out


@cache
def _environment(folder: Path) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["untrusted"] = untrusted
    env.filters["attribute"] = attribute
    return env


def _template(path: Path) -> jinja2.Template:
    folder = path.parent.parent
    return _environment(folder).get_template(f"{path.parent.name}/{path.name}")


@cache
def _variables(path: Path) -> frozenset[str]:
    """The variables a template reads (what it can show)."""
    from jinja2 import meta

    env = _environment(path.parent.parent)
    return frozenset(meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8"))))


def load_prompt(path: Path) -> Prompt:
    """Read one template file's front matter into a ``Prompt``.

    Raises:
        ConfigError: the front matter is missing, invalid, or disagrees with the file's place.
    """
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ConfigError(f"{path}: no TOML front matter (a '{{#' ... '#}}' comment at the top)")
    try:
        meta = PromptMeta.model_validate(tomllib.loads(match.group("toml")))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: invalid front matter: {exc}") from exc
    if (meta.id, meta.version) != (path.parent.name, path.stem):
        raise ConfigError(f"{path}: front matter says {meta.id}@{meta.version}; the file must be {meta.id}/{meta.version}.j2")
    return Prompt(id=meta.id, version=meta.version, description=meta.description, path=path, kind=meta.kind)


@cache
def _catalogue() -> dict[str, dict[str, Prompt]]:
    """Prompts by id, then version, from the first prompt folder that exists."""
    found: dict[str, dict[str, Prompt]] = {}
    for folder in PROMPT_DIRS:
        if folder.is_dir():
            for path in sorted(folder.glob("*/*.j2")):
                if path.name.startswith("_"):
                    continue  # a partial (macros a version imports), not a prompt
                prompt = load_prompt(path)
                found.setdefault(prompt.id, {})[prompt.version] = prompt
            break
    return found


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (-1, version)


def list_prompts() -> list[Prompt]:
    """Every version of every prompt, sorted by id then version."""
    return [
        prompt
        for _, versions in sorted(_catalogue().items())
        for _, prompt in sorted(versions.items(), key=lambda kv: _version_key(kv[0]))
    ]


def get_prompt(name: str) -> Prompt:
    """The prompt ``id`` (its latest version) or ``id@version``.

    Raises:
        UnknownPromptError: no such id or version (the message suggests close names).
    """
    pid, _, version = name.partition("@")
    versions = _catalogue().get(pid, {})
    if versions and not version:
        return versions[max(versions, key=_version_key)]
    if version in versions:
        return versions[version]
    known = [p.id for p in list_prompts()] + [p.ref for p in list_prompts()]
    raise UnknownPromptError(name, sorted(set(known)))
