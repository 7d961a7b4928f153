"""What an LLM call cost, in USD, priced with the maintained genai-prices data.

Prices come from genai-prices (an optional dependency, imported lazily; its auto-update is
never enabled, so a cassette prices the same way offline and in CI). A call that cannot be
priced (no usage recorded, unknown model, genai-prices missing) costs `None`: unknown is not
zero, and every reason is warned about once. `register_price` covers models the library does
not know and takes precedence over it.

Calls are priced at the time they were recorded (`started_at`), so a cassette's cost does
not drift when prices change later. Non-tiered prices are affine in the token counts, so each
(provider, model, minute) is probed once and every call after that is a few multiplications.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.metadata
import sys
import threading
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trace_ops import providers
from trace_ops._time import parse_iso

if TYPE_CHECKING:
    from trace_ops.providers import Provider
    from trace_ops.trace import LLMCall, Trace
    from trace_ops.view import Usage

__all__ = [
    "CallCost",
    "PriceWarning",
    "call_cost",
    "clear_registered_prices",
    "price_call",
    "price_data_version",
    "register_price",
    "trace_cost",
]

_MTOK = 1_000_000


class PriceWarning(UserWarning):
    """A call could not be priced (its cost is unknown, not zero)."""


@dataclass(frozen=True)
class CallCost:
    """The price of one call: `usd`, or `None` with the `reason` it is unknown."""

    usd: float | None
    reason: str | None = None


@dataclass(frozen=True)
class _Counts:
    """Token counts as genai-prices sees them: `input` includes cache reads and writes."""

    input: int
    cache_read: int
    cache_write: int
    output: int
    reasoning: int

    @property
    def consistent(self) -> bool:
        return self.cache_read + self.cache_write <= self.input and self.reasoning <= self.output


@dataclass(frozen=True)
class _Rates:
    """An affine price: `base` per request plus a USD rate per token of each kind."""

    base: Decimal
    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal

    def cost(self, c: _Counts) -> float:
        total = (
            self.base
            + self.input * c.input
            + self.cache_read * c.cache_read
            + self.cache_write * c.cache_write
            + self.output * c.output
            + self.reasoning * c.reasoning
        )
        return float(total)


@dataclass(frozen=True)
class _UserPrice:
    input: float
    output: float
    cached_input: float | None
    cache_write: float | None

    def cost(self, c: _Counts) -> float:
        fresh = c.input - c.cache_read - c.cache_write
        cached = self.cached_input if self.cached_input is not None else self.input
        write = self.cache_write if self.cache_write is not None else self.input
        usd_mtok = fresh * self.input + c.cache_read * cached + c.cache_write * write + c.output * self.output
        return usd_mtok / _MTOK


_lock = threading.Lock()
_user_prices: dict[tuple[str | None, str], _UserPrice] = {}
_rates_cache: dict[tuple[str | None, str, str | None], _Rates | None] = {}
_misses: set[tuple[str | None, str]] = set()
_provider_cache: dict[str, str | None] = {}
_warned: set[str] = set()


def register_price(
    model: str,
    *,
    input_per_mtok: float,
    output_per_mtok: float,
    cached_input_per_mtok: float | None = None,
    cache_write_per_mtok: float | None = None,
    provider: str | None = None,
) -> None:
    """Price a model genai-prices does not know (or override it), in USD per million tokens.

    `model` matches the served or requested model name (case-insensitive); `provider=None`
    applies to every provider. Cache reads/writes default to the input price.
    """
    price = _UserPrice(input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok)
    with _lock:
        _user_prices[(provider.lower() if provider else None, model.lower())] = price


def clear_registered_prices() -> None:
    """Forget prices from `register_price` and which unknown models were already warned about."""
    with _lock:
        _user_prices.clear()
        _warned.clear()
        _rates_cache.clear()
        _misses.clear()


@functools.lru_cache(maxsize=1)
def price_data_version() -> str | None:
    """Which price data prices calls, e.g. `genai-prices 0.2.3` (None when it is not installed).

    Cached: package metadata lookups cost more than loading a small cassette.
    """
    try:
        version = importlib.metadata.version("genai-prices")
    except importlib.metadata.PackageNotFoundError:
        return None
    if "genai_prices" not in sys.modules:  # not imported yet: nobody enabled auto-update; don't pay 0.2 s
        return f"genai-prices {version}"
    gp = _genai_prices()
    snapshot = gp.data_snapshot.get_snapshot() if gp is not None else None
    if snapshot is not None and getattr(snapshot, "from_auto_update", False):
        return f"genai-prices {version} (auto-updated {snapshot.timestamp:%Y-%m-%dT%H:%M})"
    return f"genai-prices {version}"


def call_cost(call: LLMCall) -> float | None:
    """USD cost of one call, or None (with a `PriceWarning`, once per model) when unknown."""
    return price_call(call).usd


def trace_cost(trace: Trace) -> float | None:
    """Sum of the call costs; None as soon as one call's cost is unknown."""
    total = 0.0
    for call in trace.llm_calls:
        usd = price_call(call).usd
        if usd is None:
            return None
        total += usd
    return total


def price_call(call: LLMCall) -> CallCost:
    """Price one call, saying why when it cannot be priced.

    A call that failed (transport error or HTTP status >= 400) costs 0: providers do not bill
    rejected requests, and a retried rate limit must not make a run's cost unknown.
    """
    if call.failed:
        return CallCost(0.0)
    usage = call.usage
    models = [m for m in dict.fromkeys((call.served_model, call.model)) if m]
    if not models:
        return _unknown(f"no model recorded for {call.provider} {call.endpoint}", call.endpoint)
    if usage is None:
        return _unknown(f"no usage recorded for model {models[0]!r}", f"usage:{models[0]}")
    provider = call.provider.lower()
    counts = _counts(providers.lookup(provider), usage)
    for model in models:
        user = _user_prices.get((provider, model.lower())) or _user_prices.get((None, model.lower()))
        if user is not None:
            return CallCost(user.cost(counts))
    return _library_price(provider, models, counts, call.started_at)


def _counts(provider: Provider, usage: Usage) -> _Counts:
    """genai-prices wants the total input: for a provider whose `input_tokens` excludes the cache, add it."""
    extra = usage.cached_tokens + usage.cache_write_tokens if provider.input_excludes_cache else 0
    return _Counts(
        input=usage.input_tokens + extra,
        cache_read=usage.cached_tokens,
        cache_write=usage.cache_write_tokens,
        output=usage.output_tokens,
        reasoning=usage.reasoning_tokens,
    )


def _library_price(provider: str, models: list[str], counts: _Counts, started_at: str | None) -> CallCost:
    gp = _genai_prices()
    if gp is None:
        return _unknown(
            "genai-prices is not installed (pip install 'trace-ops[prices]'), so no model has a price",
            "genai-prices-missing",
        )
    provider_id = _provider_id(gp, provider)
    when = _parse_time(started_at)
    for model in models:
        try:
            rates = _rates(gp, provider_id, model, when)
            if rates is not None and counts.consistent:
                return CallCost(rates.cost(counts))
            return CallCost(float(_calc(gp, provider_id, model, when, counts).total_price))
        except LookupError:
            continue
        except ValueError as exc:  # usage genai-prices rejects (e.g. more cached than input tokens)
            return _unknown(f"cannot price model {model!r}: {exc}", f"invalid:{model}")
    return _unknown(f"no price for model {models[0]!r} from provider {provider!r}", f"{provider}:{models[0]}")


def _provider_id(gp: Any, provider: str) -> str | None:
    """genai-prices' id for our provider name; None (match by model name) when it has none."""
    if provider not in _provider_cache:
        entry = providers.lookup(provider)
        pid = entry.price_id or provider
        known = entry.prices_by_model_prefix or gp.data_snapshot.find_provider_by_id(
            gp.data_snapshot.get_snapshot().providers, pid
        )
        _provider_cache[provider] = pid if known else None
    return _provider_cache[provider]


def _rates(gp: Any, provider_id: str | None, model: str, when: _dt.datetime | None) -> _Rates | None:
    """Per-token rates for a (provider, model, minute), or None when the price is tiered (not affine)."""
    key = (provider_id, model, when.isoformat(timespec="minutes") if when else None)
    if key in _rates_cache:
        return _rates_cache[key]
    if (provider_id, model) in _misses:
        raise LookupError(model)
    m = _MTOK

    def probe(i: int, cr: int = 0, cw: int = 0, o: int = 0, r: int = 0) -> Decimal:
        return Decimal(_calc(gp, provider_id, model, when, _Counts(i, cr, cw, o, r)).total_price)

    try:
        first = _calc(gp, provider_id, model, when, _Counts(0, 0, 0, 0, 0))
    except LookupError:
        with _lock:
            _misses.add((provider_id, model))
        raise
    rates: _Rates | None = None
    if not any(isinstance(v, gp.types.TieredPrices) for v in vars(first.model_price).values()):
        base = Decimal(first.total_price)
        one_in, one_out = probe(m), probe(0, o=m)
        rates = _Rates(
            base=base,
            input=(one_in - base) / m,
            cache_read=(probe(m, cr=m) - one_in) / m,
            cache_write=(probe(m, cw=m) - one_in) / m,
            output=(one_out - base) / m,
            reasoning=(probe(0, o=m, r=m) - one_out) / m,
        )
    with _lock:
        if len(_rates_cache) > 10_000:
            _rates_cache.clear()
        _rates_cache[key] = rates
    return rates


def _calc(gp: Any, provider_id: str | None, model: str, when: _dt.datetime | None, c: _Counts) -> Any:
    values = {
        "input_tokens": c.input,
        "cache_read_tokens": c.cache_read,
        "cache_write_tokens": c.cache_write,
        "output_tokens": c.output,
    }
    try:
        usage = gp.Usage(**values, **({"output_reasoning_tokens": c.reasoning} if c.reasoning else {}))
    except TypeError:  # genai-prices < 0.2 has no reasoning-token unit: reasoning is output
        usage = gp.Usage(**values)
    return gp.calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=when)


def _parse_time(started_at: str | None) -> _dt.datetime | None:
    if not started_at:
        return None
    try:
        when = parse_iso(started_at)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)


def _unknown(reason: str, warn_key: str) -> CallCost:
    with _lock:
        first = warn_key not in _warned
        _warned.add(warn_key)
    if first:
        warnings.warn(f"trace_ops: cost unknown: {reason}", PriceWarning, stacklevel=4)
    return CallCost(None, reason)


_gp_module: Any = None
_gp_checked = False


def _genai_prices() -> Any:
    """The genai_prices module, imported on first use (None when it is not installed)."""
    global _gp_module, _gp_checked
    if not _gp_checked:
        try:
            import genai_prices
            import genai_prices.data_snapshot
            import genai_prices.types
        except ImportError:
            genai_prices = None  # type: ignore[assignment]
        _gp_module, _gp_checked = genai_prices, True
    return _gp_module
