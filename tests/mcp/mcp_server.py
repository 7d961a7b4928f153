"""A real stdio MCP server (the `mcp` package's server API) for the record/replay tests.

It writes a line to $MCP_SERVER_STARTED when it starts, so a test can prove a replay never did.
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer

if os.environ.get("MCP_SERVER_STARTED"):
    with open(os.environ["MCP_SERVER_STARTED"], "a") as marker:
        marker.write("started\n")

server = MCPServer("encyclopedia")


@server.tool()
def search(query: str) -> str:
    """Search the encyclopedia."""
    return f"{query}: 513,275 people" if query.lower() == "lyon" else f"{query}: no entry"


@server.tool()
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


@server.resource("notes://today")
def notes() -> str:
    return "Remember the population figures."


@server.prompt()
def summarise(topic: str) -> str:
    return f"Summarise what you know about {topic}."


if __name__ == "__main__":
    server.run("stdio")
