"""Small process and network helpers shared by every service of the stack."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from stack.layout import StackError


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages that show why a service failed."""
    try:
        content = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(content[-lines:]) or f"({path} is empty)"


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is as good as dead
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def http_status(url: str, timeout: float = 5) -> int | None:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def wait_for(check: Callable[[], bool], *, service: str, timeout: float, log: Path,
             pid: Callable[[], int | None] | None = None) -> None:
    """Poll ``check`` until it holds; fail early, with the log's tail, if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if pid is not None and not pid_alive(pid()):
            raise StackError(f"{service} stopped while starting. Last lines of {log}:\n{tail(log)}")
        time.sleep(0.5)
    raise StackError(f"{service} did not become ready within {timeout:.0f} s. Last lines of {log}:\n{tail(log)}")


def terminate(pid: int, *, timeout: float = 30) -> None:
    """SIGTERM the process group led by ``pid``, escalating to SIGKILL after ``timeout``."""
    def send(sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.2)
    send(signal.SIGKILL)


def run(command: list[str], *, what: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        capture: bool = False, user: str | None = None) -> subprocess.CompletedProcess:
    """Run a command to completion; on failure raise an error that names ``what`` and shows the output."""
    if user:
        command = ["runuser", "-u", user, "--", *command]
    merged_env = {**os.environ, **(env or {})}
    result = subprocess.run(command, env=merged_env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.STDOUT if capture else None)
    if result.returncode != 0:
        output = f"\n{result.stdout.strip()}" if capture and result.stdout else ""
        raise StackError(f"{what} failed (exit {result.returncode}): {' '.join(command)}{output}")
    return result
