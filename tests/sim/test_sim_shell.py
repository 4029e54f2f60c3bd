"""The model image's commands and shells, one by one (helpers/sim/shell.py, commands.py).

Messages and exit codes are those of Debian bookworm (the base of python:3.12-slim-bookworm):
GNU coreutils 9.1 (cat exits 1, ls exits 2 on a missing file: `info coreutils`, "Exit
status"), dash as /bin/sh ("sh: 1: x: not found", exit 127: POSIX "Command Search and
Execution") and bash ("bash: line 1: x: command not found"). The image runs as uid 10001,
so only /tmp is writable (cluster/model/Dockerfile: USER 10001:10001).
"""

import math

import pytest

from helpers.errors import ManifestError
from helpers.sim import shell
from helpers.sim.image import Files


def run(*argv, files=None, t=0.0):
    files = files or Files()
    return shell.run(shell.compile(list(argv), "test"), files, t)


@pytest.mark.parametrize(
    ("argv", "code", "output"),
    [
        (["cat", "/tmp/healthy"], 1, "cat: /tmp/healthy: No such file or directory\n"),
        (["/bin/cat", "/tmp"], 1, "/bin/cat: /tmp: Is a directory\n"),
        (["cat", "/etc/hostname"], 0, ""),
        (["ls", "/tmp/x"], 2, "ls: cannot access '/tmp/x': No such file or directory\n"),
        (["rm", "/tmp/x"], 1, "rm: cannot remove '/tmp/x': No such file or directory\n"),
        (["rm", "-f", "/tmp/x"], 0, ""),
        (["touch", "/app/x"], 1, "touch: cannot touch '/app/x': Permission denied\n"),
        (["touch", "/nope/x"], 1, "touch: cannot touch '/nope/x': No such file or directory\n"),
        (["mkdir", "/tmp"], 1, "mkdir: cannot create directory '/tmp': File exists\n"),
        (["test", "-d", "/tmp"], 0, ""),
        (["[", "!", "-f", "/tmp/x", "]"], 0, ""),
        (["echo", "ok"], 0, "ok\n"),
        (["sh", "-c", "wget -q localhost"], 127, "sh: 1: wget: not found\n"),
        (["/bin/sh", "-c", "true\ncurl x"], 127, "/bin/sh: 2: curl: not found\n"),
        (["bash", "-c", "curl x"], 127, "bash: line 1: curl: command not found\n"),
        (["sh", "-c", "false || echo fallback"], 0, "fallback\n"),
        (["sh", "-c", "false && echo never; exit 4"], 4, ""),
        (["sh", "-c", "! true"], 1, ""),
    ],
)
def test_commands_exit_and_print_as_in_the_image(argv, code, output):
    done = run(*argv)
    assert (done.code, done.output, done.error) == (code, output, "")


def test_files_written_by_a_script_appear_and_vanish_at_their_times():
    files = Files()
    done = run(
        "sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600", files=files
    )
    assert done.end == 630
    assert [files.kind("/tmp/healthy", t) for t in (0, 29.9, 30, 100)] == [
        "file",
        "file",
        None,
        None,
    ]
    assert files.next_change(0) == 30 and files.next_change(30) == math.inf


def test_mkdir_p_then_rm_r_removes_the_tree():
    files = Files()
    run("sh", "-c", "mkdir -p /tmp/a/b; touch /tmp/a/b/c; sleep 1; rm -r /tmp/a", files=files)
    assert files.kind("/tmp/a/b/c", 0) == "file" and files.kind("/tmp/a/b/c", 1) is None


def test_a_missing_binary_outside_a_shell_is_a_runtime_error():
    done = run("curl", "-f", "http://localhost:8080/healthz")
    assert done.error == 'exec: "curl": executable file not found in $PATH'
    done = run("/usr/bin/wget", "-q", "localhost")
    assert done.error == 'exec: "/usr/bin/wget": stat /usr/bin/wget: no such file or directory'


def test_sleep_infinity_never_ends():
    assert run("sleep", "infinity").end == math.inf
    assert run("sleep", "1m", "30").end == 90


@pytest.mark.parametrize(
    "argv",
    [["grep", "x"], ["sh", "-c", "a > /tmp/x"], ["sh", "-c", "sleep 1 &"], ["sh", "-c", "rm /tmp/*"],
     ["sh", "x.sh"], ["python", "-c", "print(1)"], ["test", "-x", "/bin/sh"], ["ls", "--color"],
     ["sh", "-c", "sh -c true"], ["sleep", "soon"], []],
)  # fmt: skip
def test_what_the_simulator_cannot_run_is_refused(argv):
    with pytest.raises(ManifestError, match=r"^test"):
        shell.compile(argv, "test")
