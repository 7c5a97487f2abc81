"""Reading a newsroom's articles in the formats it has, validating them and storing them."""

from newsdesk.ingest.report import Duplicate, FieldError, IngestReport, Note, Skipped, Validated
from newsdesk.ingest.run import ingest

__all__ = ["Duplicate", "FieldError", "IngestReport", "Note", "Skipped", "Validated", "ingest"]
