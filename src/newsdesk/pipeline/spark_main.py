"""The script ``spark-submit`` runs: the ``newsdesk`` command line, in the driver spark-submit starts.

spark-submit takes a Python file, not ``-m module``; give it this file's path and the command's arguments::

    spark-submit --master yarn \\
        "$(python -c 'import newsdesk.pipeline.spark_main as m; print(m.__file__)')" enrich --engine spark

The Spark executor then uses the session spark-submit configured. See :mod:`newsdesk.pipeline.spark`.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the ``newsdesk`` command with ``argv`` (default: this process's arguments)."""
    from newsdesk.cli.app import main as newsdesk

    newsdesk(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":  # pragma: no cover - run by spark-submit
    main()
