"""Running a script in a fresh interpreter where `import minformer` fails, as on a machine without it installed:
what a saved folder or a pushed repo must work in (trust_remote_code)."""

import subprocess
import sys
from pathlib import Path

BLOCK_MINFORMER = r"""
import sys
class NoMinformer:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "minformer":
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, NoMinformer())
try:
    import minformer
    raise SystemExit("minformer is importable")
except ModuleNotFoundError:
    pass
"""


def run_without_minformer(script: str, *args: str, env: dict | None = None, cwd: Path | None = None
                          ) -> subprocess.CompletedProcess:
    """Run `script` (Python source; `sys.argv[1:]` are `args`) where minformer cannot be imported; fails the test with
    the script's stderr when it exits non-zero."""
    done = subprocess.run([sys.executable, "-c", BLOCK_MINFORMER + script, *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done
