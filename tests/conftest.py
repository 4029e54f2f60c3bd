"""Settings for the whole suite."""

import os

from hypothesis import settings

# Property tests check behaviour, not speed: a per-example deadline turns a busy machine
# (CI's two cores building Go while tests run) into flaky failures. Speed is `make bench`.
settings.register_profile("orchestra", deadline=None)
settings.load_profile("orchestra")


def pytest_configure(config):
    """Labs opened by tests (helpers.lab.start, notebooks run by nbclient, whose kernels
    inherit this) run in virtual time unless a test asks otherwise: a person's realtime
    default would make outputs depend on the machine (helpers/lab/speed.py)."""
    os.environ.setdefault("LAB_SPEED", "virtual")
