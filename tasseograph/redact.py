"""Redaction: send the minimum context to an API model, and map its answer back exactly.

A :class:`Redactor` swaps identifying values for stable placeholders (``<IP-1>``, ``<MAC-1>``,
``<SERIAL-1>``, ``<HOST-1>``, ``<USER-1>``) and :meth:`Redactor.restore` swaps them back, so the
evidence the model quotes from redacted text becomes the real log line again.

What is redacted: IPv4 and IPv6 addresses (not loopback, unspecified or netmasks; IPv4-mapped
and zoned forms too), hardware addresses (MACs with ``:`` or ``-``, Cisco's dotted form, iptables'
``MAC=`` field, bridge ``addr:`` fields, the bytes of an ``ll header`` dump, 8-byte and longer
forms such as WWPNs and IPoIB addresses), WWNs (``wwn-0x``, ``naa.``, ``eui.``, ``sas_addr(...)``,
``device_name(...)``, ``WWN:``; shown as ``<SERIAL-n>``), serial numbers (``SerialNumber:``,
``serial=``, ``serial:``, ``serial#``, ``S/N:``, ``Serial Number``, ``/dev/disk/by-id`` names),
host names (the host's own name(s), fully qualified names under common top-level domains, the
server of ``nfs: server NAME not responding``, iSCSI ``iqn.`` names, CIFS ``\\\\NAME``), and user
names (``/home/<user>``, ``user=``, ``user NAME``, sshd's ``for NAME from``, ``sudo: NAME :``,
audit ``acct="..."``/``UID="..."``, and names passed in). ``tests/data/redaction_corpus.txt``
marks every form on real-looking lines; a test checks each one.

What is left alone on purpose, because triage needs it: PCI addresses (``0000:03:00.0``),
hex error codes and MCE status words, timestamps, versions (``4.19.0``, ``firmware 1.2.3.4``),
and words that follow ``user`` in kernel prose (``user space``, ``user process``).
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
# A dotted quad right after one of these words is a version, not an address. ``\b``: "server"
# ends in "ver" and is no version word.
_VERSION_WORD = re.compile(r"(?i)\b(?:version|ver\.?|fw|firmware|rev(?:ision)?|bios|driver)\s*[:=]?\s*$")

_H2 = r"[0-9a-fA-F]{2}"
_NAME = r"[A-Za-z_](?:[\w.-]*[\w$])?"
"""A user name: POSIX-ish, never ending in a dot (the end of a sentence)."""
# Words that follow "user" in kernel prose, and so are no user name.
_NOT_USERS = (
    "space|spaces|process|processes|address|addresses|mode|memory|stack|namespace|namespaces|data|page|pages"
    "|fault|faults|access|copy|program|programs|level|land|application|request|requests|buffer|pointer|pid"
    "|uid|id|ids|name|session|sessions|task|tasks|thread|threads|context|limit|limits|time|slice|manager"
    "|instance|runtime|supplied|provided|controlled|the|a|an|and|or|to|in|on|of|at|from|with|for|is|was"
)
_TLDS = (
    "com|net|org|edu|gov|mil|int|io|co|us|uk|de|fr|nl|eu|ch|se|no|fi|dk|jp|cn|ru|in|br|au|ca|it|es|pl"
    "|local|lan|internal|intra|intranet|corp|home|example|test"
)

# Each alternative is one named group (its kind in ``_KIND_OF``); keyed forms (``*_key`` then
# ``*_val``) keep the label and replace only the value.
_AUDIT_USER_KEYS = ("acct", "AUID", "UID", "EUID", "SUID", "FSUID", "OUID")
_STATIC_PATTERNS: tuple[tuple[str, str], ...] = (
    # Text that already looks like a placeholder is redacted too, so restore() is exact.
    ("LITERAL", r"<(?:IP|MAC|SERIAL|HOST|USER)-\d+>"),
    ("MAC", rf"(?<=\bMAC=){_H2}(?::{_H2}){{5,}}"
            rf"|(?<=ll header: [0-9a-f]{{8}}: ){_H2}(?: {_H2}){{11}}"
            rf"|(?<![\w:.-]){_H2}(?::{_H2}){{7,}}(?![\w:-])"
            rf"|(?:(?<![\w:.-])|(?<=[A-Za-z]:)){_H2}(?P<mac_sep>[:-]){_H2}(?:(?P=mac_sep){_H2}){{4}}(?![\w:-])"
            rf"|(?<![\w.:-])[0-9a-fA-F]{{4}}\.[0-9a-fA-F]{{4}}\.[0-9a-fA-F]{{4}}(?![\w.])"),
    ("IP6", rf"(?<![\w:.])(?:::ffff:{_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)"
            rf"|(?:(?:{_H4}:){{7}}{_H4}"
            rf"|(?:{_H4}:){{1,7}}:(?:{_H4}(?::{_H4}){{0,5}})?"
            rf"|::(?:{_H4}(?::{_H4}){{0,6}}))(?:%\w+)?(?![\w:]|\.\d))"),
    ("IP4", rf"(?<![\w.-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)"),
    # WWNs name one disk or port for life: replaced like serials.
    ("WWN", r"(?P<wwn_key>(?i:\b(?:sas_?addr(?:ess)?|sas address|device_name|enclosure logical id|port_name"
            r"|node_name|wwpn|wwnn|wwid|wwn)\s*[:=(]?\s*))(?P<wwn_val>(?:0x)?[0-9a-fA-F][0-9a-fA-F-]{6,}[0-9a-fA-F])"
            r"(?![\w:])"
            r"|(?:(?<=\bwwn-)|(?<=\bnaa\.)|(?<=\beui\.))(?:0x)?[0-9a-fA-F]{16,32}(?!\w)"),
    # Serials: the label is kept (``ser_key``), only the value (4+ characters) is replaced.
    # ``serial:`` and ``serial#`` need a value with letters and digits ("Serial: 8250/16550 driver").
    ("SERIAL", r"(?P<ser_key>(?i:\bserial[ _-]?(?:number|num|no\.?|nr)\s*[:=#(]?\s*|\bserial\s*=\s*"
               r"|\bS/N\s*[:=#]?\s*|\bSN\s*[:=#]\s*))(?P<ser_val>\w[\w.-]{2,}\w)"
               r"|(?P<sr2_key>(?i:\bserial\s*[:#]\s*))(?P<sr2_val>(?=[\w.-]*[A-Za-z])(?=[\w.-]*\d)\w[\w.-]{2,}\w)"
               r"|(?<=/by-id/)(?P<id_key>(?:ata|nvme|scsi|usb)-[\w.-]*_)(?P<id_val>[0-9A-Za-z]+)"),
    ("USER", r"(?<=/home/)[\w.-]+"
             r"|(?:(?<=\buser=)|(?<=\bUSER=)|(?<=\busername=)|(?<=\blogin=))[\w.-]+"
             r"|(?:" + "|".join(rf'(?<=\b{k}=")' for k in _AUDIT_USER_KEYS) + r')[^"\s]+(?=")'
             rf"|(?P<usr_key>(?:\buser|\bof User|\b(?:Accepted|Failed) \w+ for(?: invalid user)?)\s+)"
             rf"(?P<usr_val>(?!(?i:{_NOT_USERS})\b){_NAME})(?![\w=])"
             rf"|(?P<sudo_key>\bsudo:\s+)(?P<sudo_val>{_NAME})(?=\s+:)"),
    ("HOSTCTX", rf"(?<![\w./-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?i:{_TLDS})(?![\w-]|\.\w)"
                r"|\biqn\.\d{4}-\d\d\.[\w.-]+(?::[\w.:-]*\w)?"
                r"|(?<=\bserver )[A-Za-z][\w-]*(?= (?:not responding|OK)\b)"
                r"|(?<=: \\\\)[A-Za-z][\w-]*(?=[\\\s])"),
)
_KIND_OF = {"IP4": "IP", "IP6": "IP", "WWN": "SERIAL", "HOSTCTX": "HOST", "HOSTNAME": "HOST", "USERNAME": "USER"}
"""Placeholder kind of each named alternative that is not a kind itself."""
_KEYED = (("ser_key", "ser_val"), ("sr2_key", "sr2_val"), ("id_key", "id_val"), ("wwn_key", "wwn_val"),
          ("usr_key", "usr_val"), ("sudo_key", "sudo_val"))
"""Label and value groups of keyed forms: the label is kept, the value replaced."""


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
        for key, val in _KEYED:
            if match.group(val) is not None:
                return match.group(key) + self._value(kind, match.group(val), match)
        if kind == "LITERAL":
            value = match.group()
            return self._placeholder(_PLACEHOLDER.match(value).group(1), value)  # type: ignore[union-attr]
        return self._value(kind, match.group(), match)

    def _value(self, kind: str, value: str, match: re.Match[str]) -> str:
        """The placeholder for ``value``, or ``value`` itself when it identifies nobody."""
        if (
            (kind == "IP" and _keep_ip(value, match))
            or (kind == "USER" and value in _PUBLIC_USERS)
            or (kind == "HOST" and value.lower() in _PUBLIC_HOSTS)
        ):
            return value
        return self._placeholder(kind, value)

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
    """Placeholder kind of a named alternative (``IP4``/``IP6`` are both ``IP``, ``WWN`` is ``SERIAL``...)."""
    assert group is not None  # every alternative of the pattern is a named group
    return _KIND_OF.get(group, group)


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
