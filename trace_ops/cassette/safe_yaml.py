"""The safe YAML reader: cassette text -> plain data, or a one-line CassetteError.

A cassette is untrusted input (a file from a PR, a download). It is parsed by libyaml's C
parser and composer (the pure-Python ones without libyaml) into a node tree, which one tight
class below (_Builder) turns into plain data. PyYAML's generic constructor and resolver are
not used: they were ~60 % of `yaml.load`'s time, and here only a short, closed list of tags
is accepted, so nothing but str/int/float/bool/None/list/dict can come out of a cassette.
This is the hot path of every load: keep per-node work inlined (see _Builder.mapping).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from trace_ops.errors import CassetteError

_CParser: type | None  # libyaml's parser + composer, when PyYAML was built with it
try:
    from yaml._yaml import CParser

    _CParser = CParser
except ImportError:  # pragma: no cover - PyYAML's wheels ship libyaml
    _CParser = None

MAX_DEPTH = 64
#: The most YAML nodes (scalars, lists, mappings) a cassette may hold: composing costs ~400
#: bytes and a few microseconds per node whatever its size, so 10 MB of one-character nodes
#: would take seconds and gigabytes. A recorded call is ~45 nodes: the default allows ~20,000.
MAX_NODES_ENV = "TRACE_OPS_MAX_CASSETTE_NODES"
DEFAULT_MAX_NODES = 1_000_000


def max_nodes() -> int:
    """`$TRACE_OPS_MAX_CASSETTE_NODES` (default 1,000,000; unreadable or not positive: the default)."""
    raw = os.environ.get(MAX_NODES_ENV)
    try:
        limit = int(float(raw)) if raw else DEFAULT_MAX_NODES
    except (ValueError, OverflowError):
        return DEFAULT_MAX_NODES
    return limit if limit > 0 else DEFAULT_MAX_NODES


_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_INT = _TAG + "int"
_FLOAT = _TAG + "float"
_BOOL = _TAG + "bool"
_NULL = _TAG + "null"
_SEQ = _TAG + "seq"
_MAP = _TAG + "map"
_SEEN = "\0seen"  # replaces a node's tag once built; compared by identity, so no parsed tag matches

_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
# Plain scalars that are not text under YAML 1.1 (what SafeLoader resolves) apart from numbers.
_PLAIN_WORDS: dict[str, Any] = {word: None for word in ("", "~", "null", "Null", "NULL")}
for _word, _value in _BOOLS.items():
    _PLAIN_WORDS.update({_word: _value, _word.capitalize(): _value, _word.upper(): _value})
_MERGE = object()
_PLAIN_KEYS: dict[str, Any] = {**_PLAIN_WORDS, "<<": _MERGE}
_NUMBER_START = frozenset("-+0123456789.")
# SafeLoader's (YAML 1.1) implicit int and float patterns, verbatim from yaml/resolver.py.
_INT_RE = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    re.X,
)
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


def _yaml_int(text: str) -> int:
    """SafeConstructor.construct_yaml_int: YAML 1.1 ints (0b, octal 0.., 0x, base 60, `_`)."""
    value = text.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


def _yaml_float(text: str) -> float:
    """SafeConstructor.construct_yaml_float: YAML 1.1 floats (.inf, .nan, base 60, `_`)."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value[0] == "-" else 1.0
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    if ":" in value:
        digits = [float(part) for part in value.split(":")]
        digits.reverse()
        total, base = 0.0, 1
        for digit in digits:
            total += digit * base
            base *= 60
        return sign * total
    return sign * float(value)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _PurePythonParser(Reader, Scanner, Parser, Composer):
    """PyYAML's pure-Python reader, scanner, parser and composer: CParser without libyaml."""

    def __init__(self, stream: str | bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)


class _ComposerHooks:
    """The resolver hooks the composers call for every node, replaced by trivial ones: plain
    scalars keep tag None and are resolved by _Builder, everything else gets its default tag.

    They also bound the nesting depth while composing: libyaml's composer recurses in C, and a
    few hundred thousand `[` would overflow the C stack (a crash, not an exception); and the
    node count (MAX_NODES_ENV), before the tree of a file of tiny nodes fills the memory. All
    three run for every node, so they are closures set on the instance and ascend_resolver is a
    bound `list.pop`: methods keeping `self.depth` made composing ~13 % slower; the node count
    is one C-level `next()` on an `itertools.count` per node.
    """

    descend_resolver: Callable[[Any, Any], None]
    ascend_resolver: Callable[[], Any]
    resolve: Callable[[Any, Any, Any], str | None]

    def __init__(self, stream: str | bytes, source: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        path: list[Any] = []  # one entry per node being composed, root first
        push = path.append
        limit = MAX_DEPTH + 1  # containers may sit at depth 0..MAX_DEPTH below the root...
        # ...and `path` holds the root too, so a container is too deep once len(path) > limit.

        most = max_nodes()
        counted = itertools.count(1).__next__

        def descend_resolver(parent: Any, index: Any) -> None:
            push(index)
            if counted() > most:
                raise CassetteError(
                    f"{source}: invalid cassette: more than {most:,} YAML nodes "
                    f"(${MAX_NODES_ENV} allows more)"
                )

        def resolve(kind: Any, value: Any, implicit: Any) -> str | None:
            if kind is ScalarNode:
                return None if implicit[0] else _STR
            if len(path) > limit:
                raise CassetteError(f"{source}: invalid cassette: nesting deeper than {MAX_DEPTH} levels")
            return _SEQ if kind is SequenceNode else _MAP

        self.descend_resolver = descend_resolver
        self.ascend_resolver = path.pop
        self.resolve = resolve


class _PurePythonComposer(_ComposerHooks, _PurePythonParser):
    pass


_Composer: type[_ComposerHooks] = _PurePythonComposer
if _CParser is not None:

    class _LibyamlComposer(_ComposerHooks, _CParser):  # type: ignore[misc,valid-type]
        pass

    _Composer = _LibyamlComposer


class _Builder:
    """Node tree -> plain data, equal to what `yaml.load(text, CSafeLoader)` gives for every
    cassette trace_ops writes, and a CassetteError for everything a cassette never needs.

    - Plain scalars resolve as SafeLoader's YAML 1.1 rules: null, bool, int, float; anything
      else (timestamps included: trace_ops quotes its own) stays text, which JSON can hold.
    - Explicit tags: only !!str !!int !!float !!bool !!null !!map !!seq; any other one
      (python/*, binary, timestamp, set, omap, `!custom`) is rejected, never constructed.
    - A node reached twice is an alias: rejected before anything is expanded (billion laughs).
    - Merge keys (`<<`), non-scalar keys and duplicate keys are rejected (trace_ops never
      writes them; a duplicate key is usually a bad merge, and picking one would replay the
      wrong answer).
    """

    def __init__(self, source: str) -> None:
        self.source = source
        # False once a mapping key is not text: JSON would turn it into text, so the parse
        # cache must not store this document.
        self.json_exact = True

    def fail(self, node: Any, problem: str) -> CassetteError:
        mark = node.start_mark
        return CassetteError(
            f"{self.source}: invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
        )

    def alias(self, node: Any) -> CassetteError:
        mark = node.start_mark
        return CassetteError(
            f"{self.source}: invalid cassette: YAML anchors/aliases are not allowed "
            f"(node at line {mark.line + 1} used twice)"
        )

    def build(self, node: Any) -> Any:
        if node is None:  # an empty document
            return None
        if type(node) is ScalarNode:
            tag = node.tag
            value = node.value
            if tag is None:
                return self.plain(node, value)
            return value if tag == _STR else self.tagged(node, tag)
        return self.collection(node)

    def collection(self, node: Any) -> Any:
        tag = node.tag
        if tag is _SEEN:
            raise self.alias(node)
        node.tag = _SEEN
        if type(node) is MappingNode:
            if tag != _MAP:
                raise self.fail(node, f"unsupported tag {_show_tag(tag)!r} on a mapping")
            return self.mapping(node)
        if tag != _SEQ:
            raise self.fail(node, f"unsupported tag {_show_tag(tag)!r} on a list")
        return self.sequence(node)

    def mapping(self, node: Any) -> dict[Any, Any]:
        # The scalar cases are inlined here and in sequence(): most nodes are scalars, and this
        # saves a method call for each of them.
        out: dict[Any, Any] = {}
        pairs = node.value
        for key_node, value_node in pairs:
            if type(key_node) is not ScalarNode:
                raise self.fail(key_node, "a mapping key must be a plain value, not a list or mapping")
            tag = key_node.tag
            key = key_node.value
            if tag is None:
                if key in _PLAIN_KEYS or key[0] in _NUMBER_START:
                    key = self.plain_key(key_node, key)
            elif tag != _STR:
                key = self.tagged(key_node, tag)
                if type(key) is not str:
                    self.json_exact = False
            key_node.tag = _SEEN
            if type(value_node) is ScalarNode:
                tag = value_node.tag
                value = value_node.value
                if tag is None:
                    if value in _PLAIN_WORDS:
                        value = _PLAIN_WORDS[value]
                    elif value[0] in _NUMBER_START:
                        value = self.number(value_node, value)
                elif tag != _STR:
                    value = self.tagged(value_node, tag)
                value_node.tag = _SEEN
            else:
                value = self.collection(value_node)
            out[key] = value
        if len(out) != len(pairs):
            raise self.duplicate(node)
        return out

    def sequence(self, node: Any) -> list[Any]:
        out: list[Any] = []
        append = out.append
        for item in node.value:
            if type(item) is ScalarNode:
                tag = item.tag
                value = item.value
                if tag is None:
                    if value in _PLAIN_WORDS:
                        value = _PLAIN_WORDS[value]
                    elif value[0] in _NUMBER_START:
                        value = self.number(item, value)
                elif tag != _STR:
                    value = self.tagged(item, tag)
                item.tag = _SEEN
                append(value)
            else:
                append(self.collection(item))
        return out

    def plain(self, node: Any, text: str) -> Any:
        if text in _PLAIN_WORDS:
            return _PLAIN_WORDS[text]
        return self.number(node, text) if text[0] in _NUMBER_START else text

    def plain_key(self, node: Any, text: str) -> Any:
        key = _PLAIN_KEYS[text] if text in _PLAIN_KEYS else self.number(node, text)
        if key is _MERGE:
            raise self.fail(node, "merge keys ('<<') are not supported in a cassette")
        if type(key) is not str:
            self.json_exact = False
        return key

    def number(self, node: Any, text: str) -> Any:
        try:
            if _INT_RE.match(text):
                return _yaml_int(text)
            if _FLOAT_RE.match(text):
                return _yaml_float(text)
        except ValueError:  # "0x_", or an int of more than 4,300 digits
            raise self.fail(node, f"invalid number {_clip(text)}") from None
        return text

    def tagged(self, node: Any, tag: str) -> Any:
        """A scalar with an explicit tag (or one already built: an alias)."""
        if tag is _SEEN:
            raise self.alias(node)
        text = node.value
        try:
            if tag == _STR:
                return text
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return _BOOLS[text.lower()]
            if tag == _INT:
                return _yaml_int(text)
            if tag == _FLOAT:
                return _yaml_float(text)
        except (KeyError, ValueError, IndexError):
            raise self.fail(node, f"invalid {_show_tag(tag)} value {_clip(text)}") from None
        raise self.fail(
            node, f"unsupported tag {_show_tag(tag)!r} (a cassette may use !!str !!int !!float !!bool !!null)"
        )

    def duplicate(self, node: Any) -> CassetteError:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.value in seen:
                return self.fail(key_node, f"duplicate key {_clip(key_node.value)}")
            seen.add(key_node.value)
        return self.fail(node, "duplicate keys in this mapping")  # equal once resolved: `1` and `0x1`


def _clip(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def parse(text: str | bytes, source: str) -> tuple[Any, bool]:
    """YAML text -> (document, whether JSON holds it exactly); aliases, odd tags and nesting
    deeper than MAX_DEPTH raise CassetteError."""
    try:
        root = _Composer(text, source).get_single_node()  # type: ignore[attr-defined]
        builder = _Builder(source)
        return builder.build(root), builder.json_exact
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise CassetteError(f"{source}: invalid YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"{source}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 text (bad byte at offset {exc.start})") from None
    except RecursionError:
        raise CassetteError(f"{source}: invalid cassette: nesting too deep") from None

