"""The evaluation harness: named tasks that score a newsdesk model on a real dataset against a baseline
computed in the same run, and report one JSON object::

    {"task", "dataset", "n", "model", "metrics": {...}, "baseline": {...}}

Tasks register in :data:`tasks` with :func:`task`; ``newsdesk eval TASK --dataset PATH`` and later the
model lifecycle's gates call :func:`run_eval`.
"""

from __future__ import annotations

from newsdesk.evaluate.harness import EvalResult, EvalTask, default_dataset, run_eval, task, tasks

__all__ = ["EvalResult", "EvalTask", "default_dataset", "run_eval", "task", "tasks"]
