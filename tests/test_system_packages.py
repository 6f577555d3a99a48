"""``scripts/system-packages`` (run by ``make test``) on a machine that lacks every package:
as root it installs them with apt-get; otherwise it stops at once, naming them and the command.

The system tools it calls (dpkg-query, id, apt-get, sudo) are replaced by stubs on PATH, so
nothing is installed for real."""
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-packages"
PACKAGES = "chromium fonts-wqy-microhei gettext nodejs npm"
INSTALL = ["apt-get update -qq",
           f"env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {PACKAGES}"]


@pytest.fixture
def stubs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"

    def stub(name: str, body: str) -> None:
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n", "utf-8")
        path.chmod(0o755)

    stub("dpkg-query", "exit 1")  # nothing installed
    stub("apt-get", f'echo "apt-get $*" >> {calls}')
    stub("env", f'echo "env $*" >> {calls}')  # `env DEBIAN_FRONTEND=… apt-get install …`
    for tool in ("grep", "bash"):
        (bin_dir / tool).symlink_to(f"/bin/{tool}")

    def run(uid: int, sudo: bool = False) -> subprocess.CompletedProcess:
        stub("id", f"echo {uid}")
        if sudo:
            stub("sudo", '[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; "$@"')
        return subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True,
                              timeout=30, env={**os.environ, "PATH": str(bin_dir)}, check=False)

    run.calls = calls
    return run


def test_root_installs_every_missing_package(stubs):
    result = stubs(uid=0)
    assert result.returncode == 0, result.stderr
    assert f"Installing system packages: {PACKAGES}" in result.stdout
    assert stubs.calls.read_text().splitlines() == INSTALL


def test_without_root_it_stops_naming_the_packages_and_the_command(stubs):
    result = stubs(uid=1000)
    assert result.returncode == 1
    assert f"needs these system packages: {PACKAGES}" in result.stderr
    assert f"sudo sh -c 'apt-get update && apt-get install -y {PACKAGES}'" in result.stderr
    assert not stubs.calls.exists()  # nothing attempted


def test_password_less_sudo_is_used(stubs):
    result = stubs(uid=1000, sudo=True)
    assert result.returncode == 0, result.stderr
    assert stubs.calls.read_text().splitlines() == INSTALL
