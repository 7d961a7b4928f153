"""The YAML writer: block scalars for multi-line text, JSON blocks for the bulky wire data.

Keeping the wire answers, SSE bodies and request params in `|` block scalars is what makes a
10,000-call cassette load in seconds (PyYAML pays per node, not per byte) and keeps a changed
field a one-line diff.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class BlockText(str):
    """Text the cassette writes as a `|` block scalar even when it is a single line."""

    __slots__ = ()


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper: block scalars for multi-line text, no anchors/aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")  # libyaml: exact str


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(BlockText, _represent_block)


def dump(document: Any) -> str:
    """A cassette document (plain data) as YAML text."""
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 20, default_flow_style=False
    )
    return text


# Characters libyaml will not put in a block scalar (DEL, C1 controls, Unicode line
# separators, BOM, surrogates, and everything beyond the BMP, emoji included): one of them
# turned a whole JSON block into one escaped line. In JSON text they can only sit inside
# strings, where a \uXXXX escape (a surrogate pair beyond the BMP) means the same.
_NOT_IN_BLOCK = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_block(value: Any) -> str:
    """Indented JSON that YAML can write as a `|` block: one line per field."""
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return _NOT_IN_BLOCK.sub(_escape, text) if _NOT_IN_BLOCK.search(text) else text
