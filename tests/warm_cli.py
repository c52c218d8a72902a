"""The command line in fresh processes, without paying its imports for every command.

A cold `python -m minformer.cli.main` spends 5-9 s importing torch, transformers and datasets before it reads its
arguments; the tests run about a hundred commands. Here a server process imports the command line once, and each
command runs in a child forked from it: its own process, working folder, environment, stdin, stdout and stderr
files, the same `main` and exit code as the real entry point, its atexit handlers run (only the interpreter's slow
module teardown is skipped). What a fork cannot redo is what the imports read from the environment (HF_ENDPOINT,
HF_HUB_OFFLINE, ...), so there is one server per environment; only PER_COMMAND variables are set in each child (HOME:
the libraries read it when they expand `~`, after the imports). MINFORMER_COLD_CLI=1 runs every command cold instead.
"""

import atexit
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SERVER = r"""
import atexit, json, os, signal, sys
import minformer.cli.main as cli
cli.build_parser()  # and the imports its subcommands make on first use
print("ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:  # the command's own process
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_TRUNC),
                                (2, request["stderr"], os.O_WRONLY | os.O_TRUNC)):
            os.dup2(os.open(path, flags), fd)
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        signal.alarm(request["timeout"])  # a hung command dies (SIGALRM) instead of hanging the tests
        sys.argv = ["minformer", *request["args"]]
        try:
            code = cli.main(request["args"])
        except SystemExit as stop:
            code = stop.code
        except BaseException:
            sys.excepthook(*sys.exc_info())  # the traceback, as an uncaught exception prints it
            code = 1
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        atexit._run_exitfuncs()
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(code or 0)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""

PER_COMMAND = ("HOME", "PYTEST_CURRENT_TEST")
MAX_SERVERS = 4  # each holds torch and transformers in memory (~0.6 GB)


def quiet_env(**extra: str) -> dict:
    """The tests' environment for commands: offline, progress bars off (they are not messages), HOME as given."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
            "TRANSFORMERS_VERBOSITY": "error", "TOKENIZERS_PARALLELISM": "false", **extra}  # each holds torch and transformers in memory (~0.6 GB)


class Server:
    """One warm process for one import-time environment."""

    def __init__(self, env: dict):
        self.log = tempfile.NamedTemporaryFile(prefix="minformer-warm-cli-", suffix=".log")
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the warm command-line server did not start:\n{Path(self.log.name).read_text()}")

    def run(self, args: list[str], cwd: Path, env: dict, timeout: int) -> tuple[int, str, str]:
        with tempfile.TemporaryDirectory(prefix="minformer-warm-cli-") as streams:
            out, err = Path(streams, "stdout"), Path(streams, "stderr")
            out.touch(), err.touch()
            request = dict(args=args, cwd=str(cwd), env=env, timeout=timeout, stdout=str(out), stderr=str(err))
            self.process.stdin.write(json.dumps(request) + "\n")
            reply = self.process.stdout.readline()
            if not reply:
                raise RuntimeError(f"the warm command-line server died:\n{Path(self.log.name).read_text()}")
            return int(reply), out.read_text(), err.read_text()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.log.close()


SERVERS: dict[str, Server] = {}  # by environment (PER_COMMAND left out), least recently used first


@atexit.register
def close_servers() -> None:
    while SERVERS:
        SERVERS.pop(next(iter(SERVERS))).close()


def run_minformer(args: list[str], cwd: Path | str | None = None, env: dict | None = None,
                  timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `minformer ARGS` as `subprocess.run([python, -m, minformer.cli.main, *ARGS], capture_output=True,
    text=True)` would, in a child of the warm server for `env` (default: `quiet_env()`)."""
    env = dict(quiet_env() if env is None else env)
    if os.environ.get("MINFORMER_COLD_CLI", "") not in ("", "0"):
        return subprocess.run([sys.executable, "-m", "minformer.cli.main", *map(str, args)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout)
    per_command = {name: env.pop(name) for name in PER_COMMAND if name in env}
    key = json.dumps(env, sort_keys=True)
    server = SERVERS.pop(key, None)
    if server is None:
        if len(SERVERS) >= MAX_SERVERS:
            SERVERS.pop(next(iter(SERVERS))).close()
        server = Server({**env, **per_command})
    SERVERS[key] = server
    code, stdout, stderr = server.run([str(arg) for arg in args], Path(cwd or os.getcwd()).resolve(), per_command,
                                      timeout)
    return subprocess.CompletedProcess([sys.executable, "-m", "minformer.cli.main", *args], code, stdout, stderr)
