"""One pull-request comment per report, updated in place on later pushes (GitHub REST API).

A hidden marker in the body finds our comment among the others, so a second push edits it
instead of adding another. Standard library HTTP only; the token goes in the Authorization
header and never into a message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

from trace_ops.errors import TraceOpsError

#: The hidden line that marks our comment.
MARKER = "<!-- trace-ops:ci-diff -->"
_PAGE = 100
_MAX_PAGES = 50


class GitHubError(TraceOpsError):
    """The GitHub API refused or could not be reached: one line with the status and its message."""


@dataclass(frozen=True)
class CommentResult:
    action: Literal["created", "updated", "unchanged"]
    id: int
    url: str | None


def upsert_comment(
    *,
    repo: str,
    pr: int,
    body: str,
    token: str,
    api_url: str = "https://api.github.com",
    marker: str = MARKER,
    timeout: float = 30.0,
) -> CommentResult:
    """Create the pull request's comment carrying `marker`, or update the one that exists."""
    if "/" not in repo:
        raise GitHubError(f"repository {repo!r} is not OWNER/NAME")
    full_body = body if marker in body else f"{marker}\n{body}"
    api = _Api(api_url.rstrip("/"), token, timeout)
    owner_name = "/".join(urllib.parse.quote(part, safe="") for part in repo.split("/", 1))
    existing = _find(api, f"/repos/{owner_name}/issues/{pr}/comments", marker)
    if existing is None:
        made = api.call("POST", f"/repos/{owner_name}/issues/{pr}/comments", {"body": full_body})
        return CommentResult("created", int(made["id"]), made.get("html_url"))
    if existing.get("body") == full_body:
        return CommentResult("unchanged", int(existing["id"]), existing.get("html_url"))
    done = api.call(
        "PATCH", f"/repos/{owner_name}/issues/comments/{int(existing['id'])}", {"body": full_body}
    )
    return CommentResult("updated", int(done["id"]), done.get("html_url"))


def _find(api: _Api, path: str, marker: str) -> dict[str, Any] | None:
    for page in range(1, _MAX_PAGES + 1):
        comments = api.call("GET", f"{path}?per_page={_PAGE}&page={page}")
        if not isinstance(comments, list):
            raise GitHubError(f"GET {path}: expected a list of comments, got {type(comments).__name__}")
        for comment in comments:
            if isinstance(comment, dict) and marker in str(comment.get("body") or ""):
                return comment
        if len(comments) < _PAGE:
            return None
    return None


@dataclass(frozen=True)
class _Api:
    base: str
    token: str
    timeout: float

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "trace-ops-ci-diff")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        where = f"{method} {path.split('?')[0]}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise GitHubError(f"{where}: HTTP {error.code} {_message(error.read())}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GitHubError(f"{where}: cannot reach {self.base} ({reason})") from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise GitHubError(f"{where}: the answer is not JSON") from None


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace").strip()
    return str(data.get("message", "")) if isinstance(data, dict) else ""
