"""The `replay` / `traceops` command line."""
