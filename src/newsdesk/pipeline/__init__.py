"""Batch enrichment of the archive (see :mod:`newsdesk.pipeline.run`)."""

from newsdesk.pipeline.champions import build_component
from newsdesk.pipeline.run import ComponentRun, EnrichReport, enrich, plan_components

__all__ = ["ComponentRun", "EnrichReport", "build_component", "enrich", "plan_components"]
