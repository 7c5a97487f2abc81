"""Monitoring: prediction log, editor feedback, drift, live quality, checks and reports."""
