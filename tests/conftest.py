"""Settings for the whole suite."""

from hypothesis import settings

# Property tests check behaviour, not speed: a per-example deadline turns a busy machine
# (CI's two cores building Go while tests run) into flaky failures. Speed is `make bench`.
settings.register_profile("orchestra", deadline=None)
settings.load_profile("orchestra")
