"""Memory of past incidents: the incident library and the nearest-neighbour search the prompt uses.

- ``incident``: one past incident (labelled case or operator-confirmed finding): document,
  fingerprint, excerpt and verdict;
- ``confirmed``: findings an operator confirmed, as plain records (``ConfirmedIncident``);
- ``library``: ``IncidentLibrary``, TF-IDF over templated lines + ``NearestNeighbors`` (cosine),
  with ``excluding`` (a case never sees itself) and ``fixed`` (balanced fixed few-shot examples);
- ``sources``: the labelled cases of the default library, cached on disk (``default_library``).

The pipeline takes it as ``analyze(..., prompt="triage-v3", examples="retrieved", k=4, library=...)``.
"""

from tasseograph.retrieval.confirmed import ConfirmedIncident, confirmed_incident, confirmed_incidents
from tasseograph.retrieval.incident import Incident, fingerprint_text, from_case
from tasseograph.retrieval.library import DEFAULT_K, MAX_K, IncidentLibrary, PastIncident, example_of
from tasseograph.retrieval.sources import available_sources, default_library, library_from

__all__ = [
    "DEFAULT_K",
    "MAX_K",
    "ConfirmedIncident",
    "Incident",
    "IncidentLibrary",
    "PastIncident",
    "available_sources",
    "confirmed_incident",
    "confirmed_incidents",
    "default_library",
    "example_of",
    "fingerprint_text",
    "from_case",
    "library_from",
]
