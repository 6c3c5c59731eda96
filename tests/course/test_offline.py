"""Every notebook runs with the network unavailable: nothing is downloaded while a learner works.

The notebooks run under nbval in a network namespace of their own (`unshare -n`, with only
loopback up, which the kernels need) where that is possible, else with a `sitecustomize`
that refuses every connection leaving the machine. That full nbval run is the Binder run
(tests/course/test_binder.py): its environment has no network at run time and one BLAS thread,
as a one-core pod would, so one run of every notebook proves the Binder environment, the
offline course and the one-core pod. Here: the isolation really cuts the network, and the
fallback refuses connections too.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)"
BLOCKER = textwrap.dedent('''
    """Refuse every connection that would leave this machine (set by the offline test)."""
    import ipaddress
    import socket

    _connect = socket.socket.connect

    def _local(address):
        try:
            return ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            return address[0] == "localhost"

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address):
            raise OSError(101, f"network is unavailable in this test (tried {address[0]})")
        return _connect(self, address)

    socket.socket.connect = connect
''')


def isolation(tmp_path, env):
    """(command prefix, env, how): a process started so has no network (only loopback)."""
    env = {k: v for k, v in env.items() if k != "MPLBACKEND"}
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if unshare and Path(ip).exists():
        flags = "-n" if os.geteuid() == 0 else "-rn"
        prefix = [unshare, flags, "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix, env, "a network namespace with only loopback (unshare -n)"
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    return [], env, "a sitecustomize that refuses non-loopback connections"


def assert_offline(prefix, env, how, python=sys.executable):
    probe = subprocess.run([*prefix, str(python), "-c", PROBE], env=env, capture_output=True, text=True)
    assert probe.returncode != 0, f"the network is still reachable under {how}"


def test_the_isolation_cuts_the_network(tmp_path):
    assert_offline(*isolation(tmp_path, os.environ))


def test_the_blocker_itself_refuses_connections(tmp_path):
    """The fallback must work too, wherever unshare is unavailable."""
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    probe = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    assert probe.returncode != 0 and "network is unavailable" in probe.stderr
    local = subprocess.run([sys.executable, "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0));"
                            "s.listen(); c = socket.create_connection(s.getsockname()); print('ok')"],
                           env=env, capture_output=True, text=True)
    assert local.stdout.strip() == "ok", local.stderr
