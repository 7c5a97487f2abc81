"""Metric calculations shared by the evaluation harness (:mod:`newsdesk.evaluate`) and the model lifecycle
(:mod:`newsdesk.lifecycle`).

Modules here are pure: they take labels and predictions and return numbers, as fractions in [0, 1], and
import nothing from ``evaluate/`` or ``lifecycle/`` (a test checks), so both can lean on them without
leaning on each other. How a result is shown (percentages in ``newsdesk eval``, rounded fractions in a gate
report) is the caller's business.
"""
