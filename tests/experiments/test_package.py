"""The package's names load lazily: importing it loads no statistics (and so no scipy), and every exported
name resolves."""

from __future__ import annotations

import subprocess
import sys

import newsdesk.experiments as experiments


def test_every_exported_name_resolves() -> None:
    assert sorted(experiments.__all__) == sorted(experiments._MODULE_OF)
    for name in experiments.__all__:
        assert getattr(experiments, name).__name__ == name


def test_importing_the_package_loads_no_scipy() -> None:
    code = "import sys, newsdesk.experiments; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
