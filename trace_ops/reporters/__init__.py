"""Renderers that turn traces and trace diffs into text for people: terminal, markdown, HTML."""
