"""pytest settings for the notebooks (make nbval): run them as CI does.

The exercise cells fill in the instructors' answers (``LAB_AUTOSOLVE=1``, see
helpers/lab/solutions.py), the simulator is the backend and its clock is virtual
(``LAB_SPEED=virtual``), unless the environment already says otherwise, so the committed outputs (made the same way by
``tools/build_labs.py --execute``) can be compared.
"""

from __future__ import annotations

import os


def pytest_configure(config):
    """Set the lab environment before nbval starts any kernel (kernels inherit it)."""
    os.environ.setdefault("LAB_AUTOSOLVE", "1")
    os.environ.setdefault("LAB_BACKEND", "sim")
    os.environ.setdefault("LAB_SPEED", "virtual")
