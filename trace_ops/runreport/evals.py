"""The run report as an agent-observability eval upload (the pytest-agent-observability shape).

Dashboards built for pytest-agent-observability take one `eval_run` per pytest run and one
`eval_case` per test, with events, judgments and failure detail, as a `v0` payload POSTed to
`{AGENT_OBSERVABILITY_URL}/observability/evals/v0`. This module turns trace_ops' run report
into that payload and sends it with that plugin's settings, names and defaults:

| env var | flag | default |
|---|---|---|
| AGENT_OBSERVABILITY_URL | --agent-observability-url | unset: no upload |
| AGENT_OBSERVABILITY_AGENT_ID | --agent-observability-agent-id | none |
| AGENT_OBSERVABILITY_ACCOUNT_ID | --agent-observability-account-id | none |
| AGENT_OBSERVABILITY_USER / _PASS | | no basic auth |
| AGENT_OBSERVABILITY_TIMEOUT | --agent-observability-timeout | 10 s |
| AGENT_OBSERVABILITY_MAX_RETRIES | --agent-observability-max-retries | 3 attempts, 1 s / 2 s / 4 s apart |
| AGENT_OBSERVABILITY_FALLBACK_DIR | --agent-observability-fallback-dir | .pytest_cache/agent-observability |

A failed upload leaves `<fallback dir>/<run_id>.json`; nothing here raises.
"""

from __future__ import annotations

import base64
import importlib.metadata
import math
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trace_ops._time import parse_iso
from trace_ops.runreport.upload import UploadResult, upload_report

__all__ = [
    "EVALS_PATH",
    "EVAL_OPTIONS",
    "MAX_CONTENT_CHARS",
    "MAX_EVENTS_PER_CASE",
    "EvalSettings",
    "eval_payload",
    "eval_settings",
    "upload_evals",
]

EVALS_PATH = "/observability/evals/v0"
MAX_CONTENT_CHARS = 10_000
MAX_EVENTS_PER_CASE = 500

#: (flag, env var, help): the flags the pytest plugin declares, read in this order (flag first).
EVAL_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--agent-observability-url", "AGENT_OBSERVABILITY_URL", "upload the run as an eval run to this server"),
    ("--agent-observability-agent-id", "AGENT_OBSERVABILITY_AGENT_ID", "agent id shown in the dashboard"),
    ("--agent-observability-account-id", "AGENT_OBSERVABILITY_ACCOUNT_ID", "multi-tenant account id"),
    (
        "--agent-observability-timeout",
        "AGENT_OBSERVABILITY_TIMEOUT",
        "upload timeout in seconds (default 10)",
    ),
    ("--agent-observability-max-retries", "AGENT_OBSERVABILITY_MAX_RETRIES", "upload attempts (default 3)"),
    (
        "--agent-observability-fallback-dir",
        "AGENT_OBSERVABILITY_FALLBACK_DIR",
        "where a failed upload is saved (default .pytest_cache/agent-observability)",
    ),
)


@dataclass(frozen=True)
class EvalSettings:
    url: str
    agent_id: str | None = None
    account_id: str | None = None
    basic_auth: tuple[str, str] | None = None
    timeout_s: float = 10.0
    max_retries: int = 3
    fallback_dir: Path | None = None  # None: <rootdir>/.pytest_cache/agent-observability


def _number(text: str | None, default: float, least: float) -> float:
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= least else default


def eval_settings(
    option: Callable[[str], Any], environ: Mapping[str, str] | None = None
) -> EvalSettings | None:
    """The upload settings from the flags (`option(dest)`) and env vars, or None without a URL."""
    env = os.environ if environ is None else environ

    def get(flag: str, var: str) -> str | None:
        value = option(flag.lstrip("-").replace("-", "_")) or env.get(var)
        return str(value).strip() if value else None

    values = {var: get(flag, var) for flag, var, _ in EVAL_OPTIONS}
    url = values["AGENT_OBSERVABILITY_URL"]
    if not url:
        return None
    user, password = env.get("AGENT_OBSERVABILITY_USER"), env.get("AGENT_OBSERVABILITY_PASS")
    fallback = values["AGENT_OBSERVABILITY_FALLBACK_DIR"]
    return EvalSettings(
        url=url.rstrip("/"),
        agent_id=values["AGENT_OBSERVABILITY_AGENT_ID"],
        account_id=values["AGENT_OBSERVABILITY_ACCOUNT_ID"],
        basic_auth=(user, password) if user and password else None,
        timeout_s=_number(values["AGENT_OBSERVABILITY_TIMEOUT"], 10.0, 0.001),
        max_retries=int(_number(values["AGENT_OBSERVABILITY_MAX_RETRIES"], 3, 1)),
        fallback_dir=Path(fallback) if fallback else None,
    )


# ---------------------------------------------------------------- the payload


def _unix(iso: Any) -> float | None:
    try:
        return parse_iso(str(iso)).timestamp()
    except (TypeError, ValueError):
        return None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except Exception:
        return None


def _framework() -> tuple[str | None, str | None]:
    for name, package in (("livekit", "livekit-agents"), ("pipecat", "pipecat-ai")):
        version = _version(package)
        if version is not None:
            return name, version
    return None, None


def _trim(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_CONTENT_CHARS:
        return value[:MAX_CONTENT_CHARS] + "…"
    return value


def _events(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(eval events, judgments) from a case's trace events: answers as messages, tool calls as
    function_call + function_call_output, judge verdicts apart."""
    out: list[dict[str, Any]] = []
    judgments: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("type")
        if kind == "llm_call":
            out.append(
                {
                    "type": "message",
                    "role": "assistant",
                    "content": _trim(event.get("text")),
                    "interrupted": False,
                }
            )
        elif kind == "tool_call":
            call_id = event.get("call_id")
            out.append(
                {
                    "type": "function_call",
                    "name": event.get("name"),
                    "arguments": event.get("input"),
                    "call_id": call_id,
                }
            )
            output = event.get("error") if event.get("error") else event.get("output")
            out.append(
                {
                    "type": "function_call_output",
                    "output": _trim(output),
                    "is_error": bool(event.get("error")),
                    "call_id": call_id,
                }
            )
        elif kind == "judgment":
            judgments.append(
                {
                    "intent": event.get("intent") or event.get("name"),
                    "verdict": event.get("verdict"),
                    "reasoning": event.get("reasoning") or "",
                }
            )
    return out[:MAX_EVENTS_PER_CASE], judgments


_E_LINE = re.compile(r"^E {3}(.*)$", re.MULTILINE)


def _failure(text: Any, judgments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """{kind: assertion | error | judge_failed, message, stack} from pytest's failure text."""
    if not isinstance(text, str) or not text:
        return None
    lines = [line.strip() for line in _E_LINE.findall(text)]
    message = "\n".join(line for line in lines if line) or text.strip().splitlines()[-1]
    kind = "assertion" if "AssertionError" in text or (lines and lines[0].startswith("assert")) else "error"
    if "Judgement failed" in text or any(j.get("verdict") == "fail" for j in judgments):
        kind = "judge_failed"
    return {"kind": kind, "message": message, "stack": text}


def _case(case: dict[str, Any]) -> dict[str, Any]:
    nodeid = str(case.get("nodeid", ""))
    events, judgments = _events(list(case.get("events") or []))
    duration = case.get("duration_s")
    return {
        "case_id": str(uuid.uuid4()),
        "name": nodeid.rsplit("::", 1)[-1],
        "file": nodeid.split("::", 1)[0],
        "status": case.get("status"),
        "duration_ms": int(duration * 1000) if isinstance(duration, (int, float)) else None,
        "user_input": None,
        "events": events,
        "judgments": judgments,
        "failure": _failure(case.get("failure"), judgments),
    }


def eval_payload(
    document: Mapping[str, Any], settings: EvalSettings, *, run_id: str | None = None
) -> dict[str, Any]:
    """The `v0` eval payload for a trace_ops run report (`build_run_report`'s document)."""
    run = document.get("run") or {}
    framework, framework_version = _framework()
    return {
        "version": "v0",
        "run": {
            "run_id": run_id or str(uuid.uuid4()),
            "account_id": settings.account_id,
            "agent_id": settings.agent_id,
            "framework": framework,
            "framework_version": framework_version,
            "testing_framework": "pytest",
            "testing_framework_version": _version("pytest"),
            "started_at": _unix(run.get("started_at")),
            "finished_at": _unix(run.get("finished_at")),
            "ci": run.get("ci"),
        },
        "cases": [_case(case) for case in document.get("cases") or [] if isinstance(case, dict)],
    }


def upload_evals(
    document: Mapping[str, Any],
    settings: EvalSettings,
    *,
    rootdir: str | os.PathLike[str],
    sleep: Callable[[float], None] | None = None,
) -> UploadResult:
    """POST the eval payload to `{url}/observability/evals/v0`; never raises. 4xx is final;
    other failures are retried 1 s, 2 s, 4 s apart up to `max_retries` attempts."""
    payload = eval_payload(document, settings)
    headers: dict[str, str] = {}
    if settings.basic_auth is not None:
        token = base64.b64encode(":".join(settings.basic_auth).encode("utf-8")).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    fallback = settings.fallback_dir or Path(rootdir) / ".pytest_cache" / "agent-observability"
    extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    return upload_report(
        payload,
        settings.url + EVALS_PATH,
        fallback_dir=fallback,
        fallback_name=f"{payload['run']['run_id']}.json",
        timeout_s=settings.timeout_s,
        attempts=settings.max_retries,
        backoff_s=1.0,
        max_backoff_s=4.0,
        headers=headers,
        token_env=None,
        **extra,
    )
