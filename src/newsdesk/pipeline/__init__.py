"""Batch enrichment of the archive (see :mod:`newsdesk.pipeline.run`)."""

from newsdesk.pipeline.run import ComponentRun, EnrichReport, enrich, plan_components

__all__ = ["ComponentRun", "EnrichReport", "enrich", "plan_components"]
