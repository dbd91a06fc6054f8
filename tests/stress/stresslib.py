"""stresslib.py - run inventario-stress against a test server, for tests/stress.

    with harness.Server(threads=8) as srv:
        r = run(srv, "--verify", "counter", "--clients", "16", "--duration", "2")
        r.returncode, r.stdout, r.stderr, r.json()   # json() if --json was given

Every run is bounded: the tool gets --duration or --ops from the test, and
the process itself a hard timeout here.  No test asserts a timing: the
machine is shared and has two cores; speed belongs to the benchmark.
"""
import json
import os
import subprocess
import sys

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
ROMPER = os.path.join(HERE, "romper.py")
HARD_TIMEOUT = 120

# Exit statuses of inventario-stress (stress/salida.h).
OK, VERIFICACION, USO, INALCANZABLE, LOCAL, ERRORES, INTERRUMPIDA = range(7)


class Result:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self):
        return json.loads(self.stdout)

    def __str__(self):
        return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (
            self.returncode, self.stdout[-4000:], self.stderr[-4000:])


def command(srv, *args):
    cmd = [harness.STRESS]
    if srv is not None:
        cmd += ["--program", str(srv.program), "--host", "127.0.0.1"]
    return cmd + [str(a) for a in args]


def env_with(hook=None):
    env = dict(os.environ)
    env.pop("INVENTARIO_STRESS_ANTES_DE_VERIFICAR", None)
    if hook is not None:
        env["INVENTARIO_STRESS_ANTES_DE_VERIFICAR"] = hook
    return env


def run(srv, *args, hook=None, timeout=HARD_TIMEOUT):
    """Runs the tool to completion; 'hook' is a shell command for the
    before-verification test hook."""
    proc = subprocess.run(command(srv, *args), capture_output=True, text=True,
                          timeout=timeout, env=env_with(hook),
                          stdin=subprocess.DEVNULL)
    return Result(proc)


def start(srv, *args):
    """Starts the tool in the background; finish with finish()."""
    return subprocess.Popen(command(srv, *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env_with(),
                            stdin=subprocess.DEVNULL)


def finish(proc, timeout=HARD_TIMEOUT):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    proc.stdout, proc.stderr = out, err
    return Result(proc)


def romper(*args):
    """A shell command that runs romper.py with this Python."""
    import shlex
    return " ".join(shlex.quote(str(a)) for a in (sys.executable, ROMPER) + args)
