"""A broken worker pool is explained, not reported as a bare BrokenProcessPool."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from hybridinv.bench.runner import BROKEN_POOL_HINT

# the documented mistake: run_suite at top level of a script, no __main__ guard (spawned workers
# re-import the script, try to start their own pool during bootstrapping and die)
_SCRIPT = textwrap.dedent(
    """
    from hybridinv.bench import QUICK, ScenarioSpec, run_suite

    suite = QUICK.with_options(scenarios=(ScenarioSpec("multi_10", periods=12),), policies=("base_stock",), seeds=2)
    run_suite(suite, backend="process", workers=2, progress=False)
    """
)


def test_an_unguarded_script_gets_the_main_guard_hint(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: a benchmark worker process died"), done.stderr[-2000:]
    assert "if __name__ == " in last and BROKEN_POOL_HINT.split(".")[0] in last
    assert "BrokenProcessPool" in done.stderr  # the cause stays chained


def test_the_guarded_script_runs(tmp_path: Path) -> None:
    script = tmp_path / "guarded.py"
    body = _SCRIPT.replace("run_suite(suite", "if __name__ == '__main__':\n    result = run_suite(suite")
    script.write_text(body + "    print(len(result.runs), len(result.failures))\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "0"]  # one run per seed, none failed


def test_the_worker_policy_cache_tells_specs_of_one_name_apart() -> None:
    """The cache key was the spec's report name, which leaves out the horizon: a second suite in the same worker
    with another horizon reused the policy built for the first."""
    from hybridinv import scenarios
    from hybridinv.bench import ScenarioSpec
    from hybridinv.bench.runner import _POLICIES, Task, _policy

    short, long = ScenarioSpec("single_sku", (("periods", 40),)), ScenarioSpec("single_sku", (("periods", 80),))
    assert short.key == long.key
    _POLICIES.clear()
    built = [_policy(Task("episode", spec, policy="base_stock"), scenarios.get("single_sku")) for spec in (short, long)]
    assert built[0] is not built[1] and len(_POLICIES) == 2
    assert _policy(Task("episode", short, policy="base_stock"), scenarios.get("single_sku")) is built[0]
    _POLICIES.clear()
