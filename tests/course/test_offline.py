"""Every notebook runs with the network unavailable: nothing is downloaded while a learner works.

The notebooks run under nbval in a network namespace of their own (`unshare -n`, with only
loopback up, which the kernels need) where that is possible, else with a `sitecustomize`
that refuses every connection leaving the machine. This is the third full nbval run of
`make test`, again on two pytest-xdist workers with --dist loadfile: with the main run and
the Binder run, the stored outputs are reproduced three times in a row. It runs with one BLAS
thread per worker, as a one-core pod would (test_portable.py runs the other CPU settings).
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


def isolation(tmp_path):
    """(command prefix, env) under which a process has no network, as in a one-core pod."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")  # one BLAS thread, as on a one-core pod
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if unshare and Path(ip).exists():
        flags = "-n" if os.geteuid() == 0 else "-rn"
        prefix = [unshare, flags, "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix, env, "a network namespace with only loopback (unshare -n)"
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    return [], env, "a sitecustomize that refuses non-loopback connections"


def test_notebooks_run_with_no_network(tmp_path):
    prefix, env, how = isolation(tmp_path)
    probe = subprocess.run([*prefix, sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    assert probe.returncode != 0, f"the network is still reachable under {how}"
    out = subprocess.run(
        [*prefix, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
         "-n", "2", "--dist", "loadfile", "notebooks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"under {how}:\n{out.stdout[-5000:]}{out.stderr[-2000:]}"
    print(f"offline run, {how}: {out.stdout.strip().splitlines()[-1]}")


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
