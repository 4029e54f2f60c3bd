"""The environment doctor (``helpers.doctor()``, ``make doctor``): its report and checks.

The package is named for what it does, not ``doctor``: ``helpers.doctor`` stays the
function a notebook calls, and a submodule of that name would replace it on first import.

Example:
    >>> from helpers.diagnosis import doctor
    >>> doctor(show=False).backend
    'sim'
"""

from __future__ import annotations

from helpers.diagnosis.report import Report, doctor, main, run_checks

__all__ = ["Report", "doctor", "main", "run_checks"]
