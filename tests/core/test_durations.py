"""Go durations as Kubernetes prints and reads them.

Expected strings are Go's own: the durationTests table of src/time/time_test.go
(github.com/golang/go) and the examples of pkg.go.dev/time#Duration.String; the kubelet's
CrashLoopBackOff message "back-off 5m0s restarting failed container=..." prints
time.Duration with %s (pkg/kubelet/kuberuntime/kuberuntime_manager.go, doBackOff).
"""

import pytest

from helpers.core.durations import format_ns, go_duration, parse_go_duration

SECOND = 1_000_000_000
MINUTE, HOUR = 60 * SECOND, 3600 * SECOND

# src/time/time_test.go, durationTests
GO_DURATION_TESTS = [
    ("0s", 0),
    ("1ns", 1),
    ("1.1µs", 1100),
    ("2.2ms", 2_200_000),
    ("3.3s", 3300 * 1_000_000),
    ("4m5s", 4 * MINUTE + 5 * SECOND),
    ("4m5.001s", 4 * MINUTE + 5001 * 1_000_000),
    ("5h6m7.001s", 5 * HOUR + 6 * MINUTE + 7001 * 1_000_000),
    ("8m0.000000001s", 8 * MINUTE + 1),
    ("2562047h47m16.854775807s", (1 << 63) - 1),
    ("-2562047h47m16.854775808s", -(1 << 63)),
]


@pytest.mark.parametrize(("text", "ns"), GO_DURATION_TESTS)
def test_format_matches_go_time_duration_string(text, ns):
    assert format_ns(ns) == text
    if ns > 0:
        assert format_ns(-ns) == "-" + text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (80, "1m20s"),  # the kubelet's fourth crash back-off
        (300, "5m0s"),  # its cap (MaxContainerBackOff)
        (3600, "1h0m0s"),
        (1.5, "1.5s"),
        (0.3, "300ms"),
        (0, "0s"),
        (10, "10s"),
        (3720.3, "1h2m0.3s"),  # pkg.go.dev/time#Duration.String example
    ],
)
def test_seconds_print_as_go_durations(seconds, text):
    assert go_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("300s", 300), ("5m", 300), ("1m30s", 90), ("1h", 3600), ("1.5s", 1.5), ("300ms", 0.3),
     ("0", 0), ("-1m", -60), ("2h45m", 9900)],
)  # fmt: skip
def test_parse_reads_what_kubectl_flags_accept(text, seconds):
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "5x", "m", "1m 30s"])
def test_parse_refuses_what_go_refuses(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration(text)


@pytest.mark.parametrize(("text", "ns"), GO_DURATION_TESTS[:-2])
def test_parse_reads_back_what_format_writes(text, ns):
    assert parse_go_duration(text) == pytest.approx(ns / SECOND)
