"""Cassette files: YAML a reviewer can read, that loads fast, and is never half-written.

- schema: the document <-> Trace mapping; one codec per event kind (codec, events, llm_call)
- yaml_dump / safe_yaml: document -> YAML text, and untrusted YAML text -> plain data
- cache: parsed documents keyed by the file's bytes; load / save: the two orchestrations
"""

from trace_ops.cassette.load import load_cassette, loads_cassette
from trace_ops.cassette.safe_yaml import MAX_DEPTH
from trace_ops.cassette.save import dumps_cassette, save_cassette
from trace_ops.cassette.schema import (
    CASSETTE_VERSION,
    SUPPORTED_VERSIONS,
    event_to_dict,
    trace_from_document,
    trace_to_document,
)

__all__ = [
    "CASSETTE_VERSION",
    "MAX_DEPTH",
    "SUPPORTED_VERSIONS",
    "dumps_cassette",
    "event_to_dict",
    "load_cassette",
    "loads_cassette",
    "save_cassette",
    "trace_from_document",
    "trace_to_document",
]
