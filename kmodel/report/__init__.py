"""Renderers: text, JSON, JUnit XML, GitHub annotations and Markdown, and safe file output."""

from kmodel.report.output import OUTPUT_FORMATS, write_output

__all__ = ["OUTPUT_FORMATS", "write_output"]
