"""The local stack reports honestly: what runs, what is down, and why a start failed.

These tests drive ``python3 -m stack`` (what ``make status`` and ``make portal`` call) in a
scratch stack folder on free ports, so the portal's and the suite's own services stay untouched.
"""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stack.layout import Layout, StackError, ckan_series

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_stack(env, *arguments):
    return subprocess.run([sys.executable, "-m", "stack", *arguments], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def state_of(status_output, service):
    for line in status_output.splitlines():
        columns = line.split()
        if columns and columns[0] == service:
            return columns[1]
    raise AssertionError(f"{service} missing from status:\n{status_output}")


@pytest.fixture
def scratch_stack(tmp_path):
    """A second stack folder that shares only the Solr jars of the real one."""
    root = tmp_path / "stack"
    (root / "solr").mkdir(parents=True)
    (root / "solr" / "lib").symlink_to(Layout.from_environment().solr_lib)
    env = {**os.environ, "JENA_STACK_DIR": str(root), "JENA_SOLR_PORT": str(free_port()),
           "JENA_REDIS_PORT": str(free_port()), "JENA_POSTGRES_PORT": str(free_port()),
           "JENA_WEB_PORT": str(free_port())}
    yield env
    run_stack(env, "stop", "solr", "redis")


def test_status_follows_solr_going_down(scratch_stack):
    started = run_stack(scratch_stack, "start", "solr")
    assert started.returncode == 0, started.stderr
    assert state_of(run_stack(scratch_stack, "status").stdout, "solr") == "up"

    stopped = run_stack(scratch_stack, "stop", "solr")
    assert stopped.returncode == 0, stopped.stderr
    status = run_stack(scratch_stack, "status").stdout
    assert state_of(status, "solr") == "down"
    assert "CKAN configuration of the portal:" in status


def test_a_busy_port_is_reported_with_the_service_name(scratch_stack):
    port = int(scratch_stack["JENA_REDIS_PORT"])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = run_stack(scratch_stack, "start", "redis")
    assert result.returncode == 1
    assert f"redis cannot start: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "JENA_REDIS_PORT" in result.stderr


def test_a_service_that_dies_while_starting_shows_its_log(scratch_stack):
    core = Path(scratch_stack["JENA_STACK_DIR"]) / "solr" / "home" / "broken"
    (core / "conf").mkdir(parents=True)
    (core / "core.properties").write_text("name=broken\n")
    (core / "conf" / "solrconfig.xml").write_text((REPO_ROOT / "stack" / "solr" / "solrconfig.xml").read_text())
    (core / "conf" / "schema.xml").write_text("<schema name='broken'><this is not xml")

    result = run_stack(scratch_stack, "start", "solr")

    assert result.returncode == 1
    assert "solr stopped while starting. Last lines of" in result.stderr
    assert "broken" in result.stderr


@pytest.mark.parametrize("requested, series", [
    (None, "2.12"), ("2.12", "2.12"), ("2.12.x", "2.12"), ("2.12.0", "2.12"),
    ("2.11", "2.11"), ("2.11.x", "2.11"), ("2.11.6", "2.11"),
])
def test_supported_ckan_releases_are_named_in_several_ways(requested, series):
    assert ckan_series(requested) == series


@pytest.mark.parametrize("requested", ["2.10", "2.11.2", "3.0", "latest"])
def test_unsupported_ckan_releases_are_refused_with_the_supported_ones(requested):
    with pytest.raises(StackError, match=r"not supported; choose one of: 2\.12 \(2\.12\.0\), 2\.11 \(2\.11\.6\)"):
        ckan_series(requested)


def test_options_after_test_and_ckan_are_passed_on_unparsed(monkeypatch):
    import stack.__main__ as command_line

    seen = {}

    def recorder(name):
        def record(layout, series, arguments):
            seen[name] = arguments
            return 0
        return record

    monkeypatch.setattr(command_line, "test", recorder("test"))
    monkeypatch.setattr(command_line, "ckan_command", recorder("ckan"))

    command_line.main(["--ckan-version", "2.11", "test", "-q", "-k", "translations"])
    command_line.main(["ckan", "--help"])

    assert seen == {"test": ["-q", "-k", "translations"], "ckan": ["--help"]}
