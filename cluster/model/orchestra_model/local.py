"""Run the model server as a local process, as the image runs it (the one local runner).

``python -m orchestra_model.server`` with the image's environment variables, on
127.0.0.1 only and on a port the OS hands out. Lab 01 (helpers.lab.local_server), the
server-process tests and the benchmark all start the server through ``spawn``, so the
three see the same process a pod runs.

Example:
    >>> proc = spawn("v1", free_port())
    >>> proc.terminate(); proc.wait()
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# The folder that holds the orchestra_model package: a child started from a checkout
# without the editable install still finds it.
PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bound, then released for the child to take)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(
    version: str,
    port: int,
    *,
    artifacts: Path | None = None,
    python: str = sys.executable,
    stdout=subprocess.PIPE,
    preexec_fn: Callable[[], None] | None = None,
    **env: str,
) -> subprocess.Popen:
    """Start the server for ``version`` on 127.0.0.1:``port``; the caller waits and stops it.

    Args:
        version: "v1", "v2" or "v3" (MODEL_VERSION).
        port: the TCP port (PORT); ``free_port()`` gives one.
        artifacts: the artifact folder (ORCHESTRA_ARTIFACTS); the default cache if None.
        python: the interpreter that runs the server.
        stdout: where the child's output goes (stderr is merged into it); a pipe gives text.
        preexec_fn: run in the child before exec (e.g. to pin it to a core).
        **env: more variables, e.g. the fault switches (MODEL_FAULT_LATENCY_MS="50").

    Returns:
        The child process.
    """
    child_env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "MODEL_VERSION": version,
        "POD_NAME": f"local-{version}",  # what a pod name would be; not the hostname
        "NODE_NAME": "this-computer",
        **{k: str(v) for k, v in env.items()},
    }
    if artifacts is not None:
        child_env["ORCHESTRA_ARTIFACTS"] = str(artifacts)
    child_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")])
    )
    return subprocess.Popen(
        [python, "-m", "orchestra_model.server"],
        env=child_env,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=stdout is subprocess.PIPE,
        preexec_fn=preexec_fn,
    )
