"""Redaction: send the minimum context to an API model, and map its answer back exactly.

A :class:`Redactor` swaps identifying values for stable placeholders (``<IP-1>``, ``<MAC-1>``,
``<SERIAL-1>``, ``<HOST-1>``, ``<USER-1>``) and :meth:`Redactor.restore` swaps them back, so the
evidence the model quotes from redacted text becomes the real log line again.

What is redacted: IPv4 and IPv6 addresses (not loopback, unspecified or netmasks), MAC
addresses (also iptables' ``MAC=`` field), serial numbers (``SerialNumber:``, ``serial=``,
``S/N:``, ``Serial Number``, ``/dev/disk/by-id`` names), the host's own name(s), and user names
(``/home/<user>``, ``user=``, audit ``acct="..."``/``UID="..."``, and names passed in).

What is left alone on purpose, because triage needs it: PCI addresses (``0000:03:00.0``),
hex error codes and MCE status words, timestamps, versions (``4.19.0``, ``firmware 1.2.3.4``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KINDS = ("IP", "MAC", "SERIAL", "HOST", "USER")
"""Placeholder kinds, as they appear in ``<KIND-n>``."""

_PLACEHOLDER = re.compile(r"<(IP|MAC|SERIAL|HOST|USER)-(\d+)>")

# Names too generic to be private, and which would otherwise hit ordinary kernel words.
_PUBLIC_HOSTS = frozenset({"", "-", "localhost", "localhost.localdomain", "unknown", "none"})
_PUBLIC_USERS = frozenset({"root", "nobody", "unset", "(unset)", "(none)"})
_MIN_NAME = 3
"""Shorter host or user names are not redacted as bare words (too many false hits)."""

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_H4 = r"[0-9a-fA-F]{1,4}"
# Values that look like addresses but identify nobody.
_PUBLIC_IP = re.compile(r"^(?:0\.0\.0\.0|127\.\d+\.\d+\.\d+|255\.\d+\.\d+\.\d+|::1?)$")
# A dotted quad right after one of these words is a version, not an address.
_VERSION_WORD = re.compile(r"(?i)(?:version|ver\.?|fw|firmware|rev(?:ision)?|bios|driver)\s*[:=]?\s*$")

# Each alternative is one named group; prefix groups (``*_key``) keep the label of
# ``key=value`` forms so only the value is replaced.
_AUDIT_USER_KEYS = ("acct", "AUID", "UID", "EUID", "SUID", "FSUID", "OUID")
_STATIC_PATTERNS: tuple[tuple[str, str], ...] = (
    # Text that already looks like a placeholder is redacted too, so restore() is exact.
    ("LITERAL", r"<(?:IP|MAC|SERIAL|HOST|USER)-\d+>"),
    ("MAC", r"(?<=\bMAC=)[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5,}"
            r"|(?<![\w:.-])[0-9a-fA-F]{2}(?P<mac_sep>[:-])[0-9a-fA-F]{2}"
            r"(?:(?P=mac_sep)[0-9a-fA-F]{2}){4}(?![\w:-])"),
    ("IP6", rf"(?<![\w:.])(?:(?:{_H4}:){{7}}{_H4}"
            rf"|(?:{_H4}:){{1,7}}:(?:{_H4}(?::{_H4}){{0,5}})?"
            rf"|::(?:{_H4}(?::{_H4}){{0,6}}))(?:%\w+)?(?![\w:]|\.\d)"),
    ("IP4", rf"(?<![\w.-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)"),
    # Serials: the label is kept (``ser_key``), only the value (4+ characters) is replaced.
    ("SERIAL", r"(?P<ser_key>(?i:\bserial[ _-]?(?:number|num|no\.?|nr)\s*[:=#(]?\s*|\bserial\s*=\s*"
               r"|\bS/N\s*[:=#]?\s*|\bSN\s*[:=#]\s*))(?P<ser_val>\w[\w.-]{2,}\w)"
               r"|(?<=/by-id/)(?P<id_key>(?:ata|nvme|scsi|usb)-[\w.-]*_)(?P<id_val>[0-9A-Za-z]+)"),
    ("USER", r"(?<=/home/)[\w.-]+"
             r"|(?:(?<=\buser=)|(?<=\bUSER=)|(?<=\busername=)|(?<=\blogin=))[\w.-]+"
             r"|(?:" + "|".join(rf'(?<=\b{k}=")' for k in _AUDIT_USER_KEYS) + r')[^"\s]+(?=")'),
)


class Redactor:
    """Replaces identifying values with stable placeholders, and restores them.

    Within one ``Redactor`` the same value always gets the same placeholder, so a delta's
    lines can be redacted one by one and the model's reply restored at the end.

    Example:
        >>> r = Redactor(hosts=["web-01.example.com"])
        >>> r.redact("web-01 eth0: link to 10.0.0.7 down")
        '<HOST-1> eth0: link to <IP-1> down'
        >>> r.restore("<HOST-1> eth0: link to <IP-1> down")
        'web-01 eth0: link to 10.0.0.7 down'
    """

    def __init__(self, hosts: Iterable[str] = (), users: Iterable[str] = ()) -> None:
        """Build a redactor.

        Args:
            hosts: the host's own names; an FQDN also covers its short name. Generic names
                (``localhost``) and names under three characters are not redacted as words.
            users: user names known to be private, redacted wherever they stand as a word.
        """
        self.hosts = _host_names(hosts)
        self.users = sorted({u for u in users if u and u not in _PUBLIC_USERS}, key=len, reverse=True)
        self._to_placeholder: dict[tuple[str, str], str] = {}
        self._to_value: dict[str, str] = {}
        self._counters = dict.fromkeys(KINDS, 0)
        self._pattern = _compile(self.hosts, self.users)

    def redact(self, text: str) -> str:
        """Return ``text`` with every identifying value replaced by its placeholder."""
        return self._pattern.sub(self._replace, text)

    def restore(self, text: str) -> str:
        """Return ``text`` with every placeholder this redactor issued put back (others kept)."""
        if "<" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self._to_value.get(m.group(), m.group()), text)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder to original value, for the placeholders issued so far."""
        return dict(self._to_value)

    def _replace(self, match: re.Match[str]) -> str:
        kind = _kind(match.lastgroup)
        value = match.group()
        if kind == "SERIAL":
            return self._serial(match)
        if kind == "LITERAL":
            kind = _PLACEHOLDER.match(value).group(1)  # type: ignore[union-attr]
        elif (kind == "IP" and _keep_ip(value, match)) or (kind == "USER" and value in _PUBLIC_USERS):
            return value
        return self._placeholder(kind, value)

    def _serial(self, match: re.Match[str]) -> str:
        """Keep the label (``SerialNumber: ``, ``ata-MODEL_``), replace the value."""
        for key, val in (("ser_key", "ser_val"), ("id_key", "id_val")):
            if match.group(val) is not None:
                return match.group(key) + self._placeholder("SERIAL", match.group(val))
        return match.group()  # pragma: no cover - one of the two alternatives always matched

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        found = self._to_placeholder.get(key)
        if found is None:
            self._counters[kind] += 1
            found = f"<{kind}-{self._counters[kind]}>"
            self._to_placeholder[key] = found
            self._to_value[found] = value
        return found


def _kind(group: str | None) -> str:
    """Placeholder kind of a named group (``IP4``/``IP6`` are both ``IP``, ``HOSTNAME`` is ``HOST``)."""
    assert group is not None  # every alternative of the pattern is a named group
    if group.startswith("IP"):
        return "IP"
    if group in ("HOSTNAME", "USERNAME"):
        return group[:4]
    return group


def _keep_ip(value: str, match: re.Match[str]) -> bool:
    """True for addresses that identify nobody, and for dotted versions (``firmware 1.2.3.4``)."""
    if _PUBLIC_IP.match(value):
        return True
    start = match.start()
    return "." in value and bool(_VERSION_WORD.search(match.string, max(0, start - 16), start))


def _host_names(hosts: Iterable[str]) -> list[str]:
    """The names to redact for these hosts: each name and its short form, longest first."""
    names: set[str] = set()
    for host in hosts:
        if not host or host.lower() in _PUBLIC_HOSTS:
            continue
        names.add(host)
        short = host.split(".", 1)[0]
        if len(short) >= _MIN_NAME and not short.isdigit():
            names.add(short)
    return sorted(names, key=len, reverse=True)


def _compile(hosts: list[str], users: list[str]) -> re.Pattern[str]:
    """One pattern for everything, so each text is scanned once."""
    parts = [f"(?P<{name}>{body})" for name, body in _STATIC_PATTERNS]
    # Names are matched as whole words: never inside a longer name or a path component.
    for group, names in (("HOSTNAME", hosts), ("USERNAME", users)):
        words = [re.escape(n) for n in names if len(n) >= _MIN_NAME]
        if words:
            parts.append(rf"(?P<{group}>(?<![\w.-])(?:{'|'.join(words)})(?![\w-]))")
    return re.compile("|".join(parts))
