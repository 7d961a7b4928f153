"""Realistic benchmark data: prompts (about 1.1 KB, tools, a tool round trip) and canned answers."""

from __future__ import annotations

import json
import random
from typing import Any

from benchmarks.harness import Prompt

OPENAI_MODEL = "gpt-4o"
ANTHROPIC_MODEL = "claude-sonnet-4-5"
STREAM_PIECES = 30  # content chunks per streamed answer (plus role, finish and usage chunks)


_WORDS = (
    "the agent should look up order status refund policy shipping address invoice customer account "
    "billing cycle subscription plan upgrade downgrade cancel renewal payment method card expired "
    "warehouse inventory tracking number delivery estimate carrier delayed package return label "
    "escalate human support ticket priority summary answer briefly politely cite sources tool result "
    "weather forecast temperature city tomorrow search query documents knowledge base article"
)
WORDS = tuple(_WORDS.split())

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_orders",
            "description": "Search the customer's orders by id, status or date range.",
            "parameters": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "string", "description": "The order id, e.g. A-1234"},
                    "status": {"type": "string", "enum": ["open", "shipped", "delivered", "returned"]},
                },
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather and a short forecast for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
                "required": ["city"],
            },
        },
    },
]


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    sentence = " ".join(words)
    return sentence[:1].upper() + sentence[1:] + "."


def openai_request(i: int, *, stream: bool = False) -> Prompt:
    """Keyword arguments of `chat.completions.create` for prompt #i: ~1.1 KB of message text,
    a tool call + tool result on every 3rd call, a tools list on every 2nd."""
    rng = random.Random(i)
    system = f"You are support agent #{i % 97}. " + _text(rng, rng.randint(280, 380))
    if i % 5 == 0:
        system += "\nRules:\n- be brief\n- cite the tool result\n"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": f"[ticket {i}] " + _text(rng, rng.randint(450, 650))},
    ]
    if i % 3 == 0:
        call_id = f"call_{i:06d}"
        arguments = json.dumps({"order_id": f"A-{i}"})
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "search_orders", "arguments": arguments},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": call_id, "content": _text(rng, 300)})
    kwargs: Prompt = {"model": OPENAI_MODEL, "messages": messages}
    if i % 2 == 0:
        kwargs["tools"] = TOOLS
    if i % 4 == 1:
        kwargs["temperature"] = 0.2
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs


def _usage(rng: random.Random) -> dict[str, Any]:
    prompt, completion = rng.randint(250, 900), rng.randint(20, 200)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_completion(i: int) -> dict[str, Any]:
    """A real-shaped OpenAI chat completion with usage (a tool call on every 3rd)."""
    rng = random.Random(1_000_000 + i)
    message: dict[str, Any] = {"role": "assistant", "refusal": None, "annotations": []}
    if i % 3 == 2:
        arguments = json.dumps({"order_id": f"A-{i + 1}"})
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": f"call_r{i:06d}",
                "type": "function",
                "function": {"name": "search_orders", "arguments": arguments},
            }
        ]
        finish = "tool_calls"
    else:
        message["content"] = _text(rng, rng.randint(120, 400))
        finish = "stop"
    return {
        "id": f"chatcmpl-B{i:010d}",
        "object": "chat.completion",
        "created": 1_730_000_000 + i,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(rng),
        "service_tier": "default",
        "system_fingerprint": "fp_50cad350e4",
    }


def sse_parts(i: int) -> list[bytes]:
    """A streamed chat completion as OpenAI sends it (`stream_options.include_usage`): a role
    chunk, STREAM_PIECES content chunks, a finish chunk, a usage chunk, then `[DONE]`."""
    rng = random.Random(2_000_000 + i)
    words = _text(rng, 260).split(" ")
    head = (
        f'data: {{"id":"chatcmpl-S{i:010d}","object":"chat.completion.chunk","created":{1_730_000_000 + i},'
        '"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_50cad350e4",'
    )
    choice = '"choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}],"usage":null}\n\n'
    chunks = [head + choice % ('{"role":"assistant","content":"","refusal":null}', "null")]
    for k in range(STREAM_PIECES):
        delta = json.dumps({"content": " ".join(words[k::STREAM_PIECES]) + " "}, separators=(",", ":"))
        chunks.append(head + choice % (delta, "null"))
    chunks.append(head + choice % ("{}", '"stop"'))
    chunks.append(head + f'"choices":[],"usage":{json.dumps(_usage(rng), separators=(",", ":"))}}}\n\n')
    chunks.append("data: [DONE]\n\n")
    return [chunk.encode() for chunk in chunks]


ANTHROPIC_MESSAGE = json.dumps(
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Your order A-1234 shipped yesterday and arrives on Friday."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }
).encode()


def anthropic_request(i: int) -> Prompt:
    """Keyword arguments of `messages.create` for prompt #i (the same texts as the OpenAI rows)."""
    messages = openai_request(i)["messages"]
    return {
        "model": ANTHROPIC_MODEL,
        "max_tokens": 1024,
        "system": messages[0]["content"],
        "messages": [{"role": "user", "content": messages[1]["content"]}],
    }
