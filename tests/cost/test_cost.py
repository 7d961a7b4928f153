"""Call costs: genai-prices mapping (cache, cache writes, reasoning, tiers, dates), user prices, unknowns."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import random
import warnings
from decimal import Decimal

import genai_prices
import pytest

from tests.diff.traces import anthropic, chat, failed_chat, tool
from trace_ops import cost
from trace_ops.cost import PriceWarning, call_cost, price_call, price_data_version, register_price
from trace_ops.trace import Trace

MTOK = Decimal(1_000_000)


def rates(model: str, provider: str, when: str = "2026-11-01") -> genai_prices.types.ModelPrice:
    """The library's own per-MTok prices for a model, to check our arithmetic against."""
    stamp = dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc)
    usage = genai_prices.Usage(input_tokens=1, output_tokens=1)
    return genai_prices.calc_price(
        usage, model, provider_id=provider, genai_request_timestamp=stamp
    ).model_price


def test_openai_cached_tokens_are_part_of_input_and_billed_at_the_cache_rate() -> None:
    price = rates("gpt-4o", "openai")
    call = chat("gpt-4o", input_tokens=1000, cached=200, output_tokens=500)
    expected = (800 * price.input_mtok + 200 * price.cache_read_mtok + 500 * price.output_mtok) / MTOK
    assert call_cost(call) == pytest.approx(float(expected), rel=1e-12)
    uncached = call_cost(chat("gpt-4o", input_tokens=1000, cached=0, output_tokens=500))
    assert uncached is not None and uncached > float(expected)  # the cache discount was applied


def test_anthropic_input_excludes_cache_so_it_is_added_back() -> None:
    price = rates("claude-3-5-sonnet-20241022", "anthropic")
    call = anthropic(input_tokens=100, cache_read=1000, cache_write=400, output_tokens=50)
    expected = (
        100 * price.input_mtok
        + 1000 * price.cache_read_mtok
        + 400 * price.cache_write_mtok
        + 50 * price.output_mtok
    ) / MTOK
    assert call_cost(call) == pytest.approx(float(expected), rel=1e-12)


def test_reasoning_tokens_use_their_own_rate_when_the_model_has_one() -> None:
    price = rates("sonar-deep-research", "perplexity")
    assert price.output_reasoning_mtok != price.output_mtok  # the premise of this test
    call = chat(
        "sonar-deep-research", provider="perplexity", input_tokens=0, output_tokens=1000, reasoning=400
    )
    expected = (600 * price.output_mtok + 400 * price.output_reasoning_mtok) / MTOK
    assert call_cost(call) == pytest.approx(float(expected), rel=1e-12)


def test_reasoning_tokens_are_output_for_models_without_a_reasoning_rate() -> None:
    with_reasoning = call_cost(chat("gpt-4o", output_tokens=1000, reasoning=400))
    assert with_reasoning == call_cost(chat("gpt-4o", output_tokens=1000, reasoning=0))


def test_fast_path_agrees_with_genai_prices_on_random_usage() -> None:
    rng = random.Random(7)
    for _ in range(200):
        model = rng.choice(["gpt-4o", "gpt-4o-mini", "o3-mini"])
        total_in = rng.randint(0, 50_000)
        cached = rng.randint(0, total_in)
        out = rng.randint(0, 5_000)
        call = chat(model, input_tokens=total_in, cached=cached, output_tokens=out)
        usage = genai_prices.Usage(input_tokens=total_in, cache_read_tokens=cached, output_tokens=out)
        stamp = dt.datetime(2026, 11, 1, 10, tzinfo=dt.timezone.utc)
        reference = genai_prices.calc_price(usage, model, provider_id="openai", genai_request_timestamp=stamp)
        assert call_cost(call) == pytest.approx(float(reference.total_price), rel=1e-9, abs=1e-15)


def test_tiered_prices_apply_the_tier_rate_to_every_token() -> None:
    below = call_cost(anthropic("claude-haiku-5-5", input_tokens=50_000, output_tokens=0))
    above = call_cost(anthropic("claude-haiku-5-5", input_tokens=150_000, output_tokens=0))
    assert below is not None and above is not None
    assert above / below == pytest.approx(3 * 5)  # 3x the tokens, each at the 5x long-context rate


def test_calls_are_priced_at_the_date_they_were_recorded() -> None:
    before = call_cost(chat("o3", input_tokens=1_000_000, output_tokens=0, started_at="2025-05-01T00:00:00Z"))
    after = call_cost(chat("o3", input_tokens=1_000_000, output_tokens=0, started_at="2025-07-01T00:00:00Z"))
    assert before == pytest.approx(float(rates("o3", "openai", "2025-05-01").input_mtok))
    assert after == pytest.approx(float(rates("o3", "openai", "2025-07-01").input_mtok))
    assert before != after


def test_served_model_snapshot_and_litellm_prefixes_are_priced() -> None:
    assert call_cost(chat("gpt-4o-2024-08-06")) is not None
    call = chat("anthropic/claude-3-5-haiku-latest", provider="litellm")
    assert call_cost(call) == pytest.approx(call_cost(anthropic("claude-3-5-haiku-latest")))


def test_unknown_provider_name_falls_back_to_matching_the_model() -> None:
    assert call_cost(chat("gpt-4o", provider="my-proxy")) == call_cost(chat("gpt-4o"))


def test_unknown_model_is_none_with_one_warning_per_model() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert call_cost(chat("foo-1")) is None
        assert call_cost(chat("foo-1")) is None
        assert call_cost(chat("foo-2")) is None
    messages = [str(w.message) for w in caught if issubclass(w.category, PriceWarning)]
    assert len(messages) == 2
    assert "no price for model 'foo-1' from provider 'openai'" in messages[0]


def test_missing_usage_is_unknown_not_zero() -> None:
    with pytest.warns(PriceWarning, match="no usage recorded"):
        priced = price_call(chat("gpt-4o", usage=False))
    assert priced.usd is None and priced.reason is not None and "no usage recorded" in priced.reason


def test_a_refused_call_costs_nothing() -> None:
    assert call_cost(failed_chat(status=429)) == 0.0


def test_registered_price_prices_an_unknown_model_and_defaults_cache_to_input() -> None:
    register_price("my-finetune", input_per_mtok=2.0, output_per_mtok=8.0)
    call = chat("my-finetune", input_tokens=1000, cached=400, output_tokens=100)
    assert call_cost(call) == pytest.approx((1000 * 2.0 + 100 * 8.0) / 1e6)
    register_price("my-finetune", input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5)
    assert call_cost(call) == pytest.approx((600 * 2.0 + 400 * 0.5 + 100 * 8.0) / 1e6)


def test_registered_cache_write_price_for_anthropic_usage() -> None:
    register_price(
        "claude-custom",
        input_per_mtok=3,
        output_per_mtok=15,
        cached_input_per_mtok=0.3,
        cache_write_per_mtok=3.75,
        provider="anthropic",
    )
    call = anthropic("claude-custom", input_tokens=100, cache_read=1000, cache_write=400, output_tokens=50)
    assert call_cost(call) == pytest.approx((100 * 3 + 1000 * 0.3 + 400 * 3.75 + 50 * 15) / 1e6)


def test_registered_price_takes_precedence_and_respects_its_provider() -> None:
    library = call_cost(chat("gpt-4o", input_tokens=1_000_000, output_tokens=0))
    register_price("gpt-4o", input_per_mtok=1.0, output_per_mtok=1.0, provider="anthropic")
    assert call_cost(chat("gpt-4o", input_tokens=1_000_000, output_tokens=0)) == library
    register_price("GPT-4o", input_per_mtok=1.0, output_per_mtok=1.0)
    assert call_cost(chat("gpt-4o", input_tokens=1_000_000, output_tokens=0)) == pytest.approx(1.0)


def test_without_genai_prices_costs_are_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cost, "_genai_prices", lambda: None)
    with pytest.warns(PriceWarning, match="genai-prices is not installed"):
        assert call_cost(chat("gpt-4o")) is None
    register_price("gpt-4o", input_per_mtok=1, output_per_mtok=1)  # user prices still work
    assert call_cost(chat("gpt-4o", input_tokens=10, output_tokens=0)) == pytest.approx(10 / 1e6)


def test_price_data_version_names_the_installed_package() -> None:
    assert price_data_version() == f"genai-prices {importlib.metadata.version('genai-prices')}"


def test_trace_total_cost_sums_calls_and_unknown_is_not_zero() -> None:
    a, b = chat("gpt-4o", input_tokens=1000), chat("gpt-4o-mini", input_tokens=500)
    trace = Trace(events=[a, tool("search"), b, failed_chat()])
    assert a.cost_usd is not None and b.cost_usd is not None
    assert trace.total_cost_usd == pytest.approx(a.cost_usd + b.cost_usd)
    trace.events.append(chat("foo-1"))
    with pytest.warns(PriceWarning):
        assert trace.total_cost_usd is None
    assert Trace().total_cost_usd == 0.0
