"""The incident library: nearest neighbours over templated lines, and what a query may never see."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.cases import Case
from tasseograph.errors import UsageError
from tasseograph.parsing import parse_delta
from tasseograph.retrieval import (
    ConfirmedIncident,
    IncidentLibrary,
    confirmed_incidents,
    default_library,
    fingerprint_text,
    from_case,
    library_from,
)

EDAC_CE = ("[1184216.317948] IPVS: ipvs loaded.\n"
           "[1184279.289896] EDAC MC2: 1 CE memory read error on CPU_SrcID#1_MC#0_Chan#1_DIMM#0 "
           "(channel:1 slot:0 page:0x3a12f offset:0x340 grain:32 syndrome:0x0)\n"
           "[1184312.252078] Bridge firewalling registered")
NVME_TIMEOUT = ("[ 5012.104233] nvme nvme2: I/O 412 QID 7 timeout, aborting\n"
                "[ 5012.104590] nvme nvme2: Abort status: 0x0\n"
                "[ 5042.881002] nvme nvme2: I/O 412 QID 7 timeout, reset controller")
LINK_FLAP = ("[ 8810.002211] ixgbe 0000:3b:00.1 eth3: NIC Link is Down\n"
             "[ 8812.431190] ixgbe 0000:3b:00.1 eth3: NIC Link is Up 10 Gbps, Flow Control: RX/TX")
BOOT = ("[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\n"
        "[    0.412000] ACPI: Core revision 20220331\n"
        "[    1.204000] systemd[1]: Detected architecture x86-64.")


def case(cid: str, text: str, status: str, categories: tuple[str, ...] = (), origin: str = "") -> Case:
    evidence = tuple(line for line in text.splitlines() if "EDAC" in line or "timeout" in line or "Link is" in line)
    return Case(id=cid, text=text, status=status, categories=categories,  # type: ignore[arg-type]
                evidence=evidence if status != "ok" else (), host="web-01", note="", origin=origin)


def renumbered(text: str) -> str:
    """A near-copy: the same lines with other numbers (what a second excerpt of one failure looks like)."""
    return (text.replace("1184279.289896", "2284279.111111").replace("0x3a12f", "0x51c00")
            .replace("5012.104233", "6013.000001").replace("412", "97"))


@pytest.fixture(name="library")
def library_fixture() -> IncidentLibrary:
    cases = [
        case("memory/syn-mem-001", EDAC_CE, "warning", ("memory",)),
        case("memory/syn-mem-002", renumbered(EDAC_CE), "warning", ("memory",)),
        case("storage/syn-sto-001", NVME_TIMEOUT, "critical", ("storage",), origin="repo:logs/a.log"),
        case("storage/syn-sto-002", NVME_TIMEOUT.replace("nvme2", "nvme5"), "critical", ("storage",),
             origin="repo:logs/a.log"),
        case("network/syn-net-001", LINK_FLAP, "warning", ("network",)),
        case("ok/syn-ok-001", BOOT, "ok"),
    ]
    return IncidentLibrary.build([from_case(c, "repo") for c in cases], sources=["repo (6)"])


def ids(library: IncidentLibrary, text: str, k: int = 4) -> list[str]:
    return [n.incident.id for n in library.nearest(parse_delta(text, host="db-9"), k)]


def test_nearest_finds_the_same_failure_first(library: IncidentLibrary) -> None:
    assert ids(library, renumbered(NVME_TIMEOUT))[0].startswith("repo:storage/")
    assert ids(library, LINK_FLAP.replace("eth3", "eth0"))[0] == "repo:network/syn-net-001"


def test_near_copies_are_shown_once(library: IncidentLibrary) -> None:
    found = ids(library, EDAC_CE)
    assert sum(i.startswith("repo:memory/") for i in found) == 1


def test_a_case_never_finds_itself_nor_its_near_copies(library: IncidentLibrary) -> None:
    view = library.excluding("memory/syn-mem-001", fingerprint=fingerprint_text(EDAC_CE))
    found = ids(view, EDAC_CE)
    assert not any(i.startswith("repo:memory/") for i in found)
    assert sorted(view.excluded_ids()) == ["repo:memory/syn-mem-001", "repo:memory/syn-mem-002"]
    assert len(view) == len(library) - 2


def test_excluding_by_id_drops_the_other_excerpts_of_the_same_log(library: IncidentLibrary) -> None:
    view = library.excluding("repo:storage/syn-sto-001")
    assert "repo:storage/syn-sto-002" in view.excluded_ids()
    assert not any(i.startswith("repo:storage/") for i in ids(view, NVME_TIMEOUT))


def test_fixed_examples_are_balanced_stable_and_skip_the_excluded(library: IncidentLibrary) -> None:
    fixed = [i.status for i in library.fixed(3)]
    assert sorted(fixed) == ["critical", "ok", "warning"]
    assert [i.id for i in library.fixed(3)] == [i.id for i in library.fixed(3)]
    view = library.excluding("ok/syn-ok-001")
    assert all(i.id != "repo:ok/syn-ok-001" for i in view.fixed(6))


def test_unrelated_text_gets_no_neighbours(library: IncidentLibrary) -> None:
    assert ids(library, "[ 1.0] zzqx frobnicated the wibble quux") == []


@pytest.mark.parametrize("k", [0, 17, True, 2.5])
def test_k_out_of_range_is_a_usage_error(library: IncidentLibrary, k: object) -> None:
    with pytest.raises(UsageError, match="k"):
        library.nearest(parse_delta(EDAC_CE), k)  # type: ignore[arg-type]


def test_the_index_is_deterministic(library: IncidentLibrary) -> None:
    again = IncidentLibrary.build(reversed(library.incidents), sources=library.sources)
    for text in (EDAC_CE, NVME_TIMEOUT, LINK_FLAP, BOOT):
        delta = parse_delta(text)
        assert [(n.incident.id, n.similarity) for n in library.nearest(delta, 4)] == \
               [(n.incident.id, n.similarity) for n in again.nearest(delta, 4)]
    assert again.digest() == library.digest()


def test_an_operator_confirmed_incident_is_found_by_a_later_similar_delta(library: IncidentLibrary) -> None:
    record = {"host": "db-17", "category": "network", "severity": "critical", "at": 1_700_000_000.0,
              "lines": ["[77.1] mlx5_core 0000:af:00.0: mlx5_pci_err_detected Device state = 2 pci_status: 0",
                        "[77.2] mlx5_core 0000:af:00.0: mlx5_health_try_recover: health recovery flow aborted"],
              "note": "riser reseated, errors stopped"}
    grown = library.with_confirmed(confirmed_incidents([record]))
    later = ("[9911.4] mlx5_core 0000:3b:00.1: mlx5_pci_err_detected Device state = 1 pci_status: 0\n"
             "[9911.9] mlx5_core 0000:3b:00.1: mlx5_health_try_recover: health recovery flow aborted")
    found = grown.nearest(parse_delta(later, host="db-17"), 2)
    assert found[0].incident.kind == "confirmed"
    assert found[0].incident.note == "riser reseated, errors stopped"
    assert found[0].same_host
    assert found[0].as_example()["note"] == "riser reseated, errors stopped"
    assert any(s.startswith("confirmed (1)") for s in grown.sources)
    assert library.nearest(parse_delta(later), 2) == [] or \
        all(n.incident.kind == "labelled" for n in library.nearest(parse_delta(later), 2))


def test_a_bad_confirmed_record_is_a_usage_error_naming_the_field() -> None:
    with pytest.raises(UsageError, match=r"confirmed incident 2: severity"):
        confirmed_incidents([
            ConfirmedIncident(host="a", lines=["EDAC MC0: 1 UE"], category="memory", severity="critical"),
            {"host": "b", "lines": ["x"], "category": "memory", "severity": "dire"},
        ])
    with pytest.raises(UsageError, match="lines"):
        confirmed_incidents([{"host": "b", "lines": ["  "], "category": "memory", "severity": "warning"}])


def test_confirmed_records_keep_the_newest_when_over_the_limit() -> None:
    records = [{"host": f"h{n}", "lines": [f"EDAC MC{n}: 1 UE memory read error"], "category": "memory",
                "severity": "critical", "at": float(n), "id": f"f{n}"} for n in range(5)]
    assert [i.id for i in confirmed_incidents(records, limit=2)] == ["confirmed:f4", "confirmed:f3"]


def test_the_default_library_is_cached_on_disk_and_reads_back_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasseograph.retrieval.sources import cache_path, chosen_sources

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    sources = chosen_sources(["repo"])
    first = library_from(sources)
    assert cache_path(sources).is_file()
    again = library_from(sources)
    assert again.digest() == first.digest() and len(first) > 100
    # A damaged cache file is read again from the data, not an error.
    cache_path(sources).write_text("{not json", encoding="utf-8")
    assert library_from(sources).digest() == first.digest()


def test_an_unknown_source_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown or absent source"):
        default_library(["nope"])


def test_every_repo_case_finds_neighbours_without_itself() -> None:
    """On the real labelled set: no case is ever its own (or a near-copy's) neighbour."""
    library = default_library(["repo"])
    for incident in library.incidents[::7]:
        view = library.excluding(incident.id, fingerprint=incident.fingerprint)
        delta = parse_delta("\n".join(incident.lines))
        got = view.nearest(delta, 4)
        assert all(n.incident.id != incident.id and n.incident.fingerprint != incident.fingerprint for n in got)
