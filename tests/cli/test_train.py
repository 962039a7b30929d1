"""``hybridinv train``: its default algorithm is the one that made the shipped default model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import AS_A_TERMINAL_JOB, child_pids, interrupt_and_wait

from hybridinv.cli import main


def test_the_default_algo_trains_the_kind_of_the_shipped_default(tmp_path: Path) -> None:
    # the finding: train --algo and TrainConfig defaulted to hybrid (PPO) while models/hybrid_default is adaptive (ES)
    from hybridinv.cli.train import command
    from hybridinv.rl.hybrid import models_directory
    from hybridinv.rl.integrity import read_metadata
    from hybridinv.rl.training import TrainConfig

    shipped = read_metadata(models_directory() / "hybrid_default")["policy"]
    default = next(p.default for p in command.params if p.name == "algo")
    assert default == TrainConfig().algo.value == shipped == "adaptive"
    args = ["train", "--scenario", "multi_10", "--out", str(tmp_path / "m"), "--generations", "1", "--population", "2",
            "--seeds-per-generation", "1", "--eval-seeds", "1", "--workers", "1", "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert read_metadata(tmp_path / "m")["policy"] == shipped


def _history_files(tmp_path: Path) -> tuple[Path, Path]:
    """A tiny monthly history (6 SKUs, 30 months, wide) and its catalog, written to tmp_path."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    skus = [f"S{i}" for i in range(6)]
    rate = np.array([30.0, 12.0, 8.0, 45.0, 1.5, 0.6])
    demand = rng.poisson(rate[None, :] * (1.0 + 0.3 * np.sin(np.arange(30) / 12 * 2 * np.pi))[:, None])
    months = [str(p) for p in pd.period_range("2021-01", periods=30, freq="M")]
    history, catalog = tmp_path / "sales.csv", tmp_path / "catalog.csv"
    pd.DataFrame({"sku": skus, **{m: demand[k] for k, m in enumerate(months)}}).to_csv(history, index=False)
    cost = np.array([12.0, 30.0, 8.0, 5.0, 60.0, 25.0])
    pd.DataFrame({"sku": skus, "unit_cost": cost, "holding_cost": cost / 48, "shortage_cost": cost * 1.6,
                  "order_cost": 5.0, "lead_time": [1, 0, 2, 1, 1, 0]}).to_csv(catalog, index=False)
    return history, catalog


def test_train_on_history_for_a_reward_spec_target_and_incumbent(tmp_path: Path) -> None:
    # the finding: --reward/--target/--incumbent with --history raised "not available with --history yet"
    import json

    from hybridinv.cli.train import command
    from hybridinv.reward import RewardSpec
    from hybridinv.rl.integrity import read_metadata

    history, catalog = _history_files(tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_text(RewardSpec(shortage=2.0).to_toml())
    out = tmp_path / "m"
    args = ["train", "--history", str(history), "--catalog", str(catalog), "--validation", "6", "--population", "4",
            "--generations", "2", "--seeds-per-generation", "1", "--time-limit", "0", "--workers", "1", "--quiet",
            "--reward", str(spec), "--target", "fill_rate>=0.95", "--incumbent", "base_stock",
            "--deviation-weight", "0.1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    meta = read_metadata(out)
    objective = meta["reward_spec"]
    assert objective["kind"] == "es_objective" and objective["targets"] == ["fill_rate>=0.95"]
    assert objective["incumbent"] == "base_stock" and objective["deviation_weight"] == 0.1
    assert objective["spec"]["weights"]["shortage"] == 2.0
    judged = meta["validation"]["objective"]
    assert judged["cost"] == "spec_cost" and judged["targets"] == ["fill_rate>=0.95"]
    lines = result.output.splitlines()
    assert lines[1] == f"targets on the held-out periods (kept: {judged['decision']}):"
    printed = "  fill_rate>=0.95: " + ", ".join(
        f"{name} {judged[name]['fill_rate']:.4g} ({'met' if judged['met'][name]['fill_rate>=0.95'] else 'NOT met'})"
        for name in ("trained", "base"))
    assert lines[2] == printed
    assert json.loads(result.output[result.output.index("{"):])["objective"]["decision"] == judged["decision"]
    assert "--history" in next(p.help or "" for p in command.params if p.name == "targets")


def test_train_on_history_replaying_the_training_months(tmp_path: Path) -> None:
    """``--episodes replay``: ES runs on the training months themselves (the metadata says so)."""
    from hybridinv.rl.integrity import read_metadata

    history, catalog = _history_files(tmp_path)
    out = tmp_path / "m"
    args = ["train", "--history", str(history), "--catalog", str(catalog), "--validation", "6", "--population", "4",
            "--generations", "2", "--seeds-per-generation", "1", "--time-limit", "0", "--workers", "1", "--quiet",
            "--episodes", "replay", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    meta = read_metadata(out)
    assert meta["scenario"]["kind"] == "history replay" and meta["training"]["settings"]["episodes"] == "replay"
    assert meta["scenario"]["periods"] == 6  # as long as the held-out periods
    assert meta["training"]["settings"]["gate"] == "interval" and meta["validation"]["rule"] == "interval"


@pytest.mark.parametrize(("option", "given"), [("--gate", "total"), ("--gate", "interval"), ("--gate", "totl")])
def test_train_on_history_takes_the_gate_rule(tmp_path: Path, option: str, given: str) -> None:
    from hybridinv.rl.integrity import read_metadata

    history, catalog = _history_files(tmp_path)
    out = tmp_path / "m"
    args = ["train", "--history", str(history), "--catalog", str(catalog), "--validation", "6", "--population", "4",
            "--generations", "1", "--seeds-per-generation", "1", "--time-limit", "0", "--workers", "1", "--quiet",
            option, given, "--out", str(out)]
    result = CliRunner().invoke(main, args)
    if given == "totl":  # a near miss is a usage error that names the choice meant
        assert result.exit_code == 2 and "'total'" in result.output, result.output
        return
    assert result.exit_code == 0, result.output
    meta = read_metadata(out)
    assert meta["training"]["settings"]["gate"] == given and meta["validation"]["rule"] == given


@pytest.mark.parametrize("options", [["--capacity", "100"], ["--budget", "50", "--season", "4"],
                                     ["--cutoff", "2024-01"], ["--validation", "6"], ["--episodes", "replay"],
                                     ["--gate", "total"]])
def test_history_options_without_history_are_a_usage_error(tmp_path: Path, options: list[str]) -> None:
    # they were silently ignored: a --scenario run trains on the scenario's own limits
    result = CliRunner().invoke(main, ["train", "--scenario", "single_sku", "--algo", "es", "--generations", "1",
                                       "--out", str(tmp_path / "m"), *options])
    assert result.exit_code == 2, result.output
    verb = "applies" if len(options) == 2 else "apply"  # one option or two ("--capacity only apply" was a typo)
    assert f"{verb} only with --history" in result.output, result.output
    assert options[0] in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("options", "named"), [
    (["--learning-rate", "0.5"], "--learning-rate"), (["--hidden", "3", "--eval-seeds", "1"], "--eval-seeds, --hidden"),
    (["--scenario", "multi_50"], "--scenario"),
])
def test_scenario_run_options_with_history_are_a_usage_error(tmp_path: Path, options: list[str], named: str) -> None:
    # they were silently ignored: --history trains the forecast_ss hybrid by ES on the history
    history = tmp_path / "history.csv"
    history.write_text("sku,w1,w2,w3\nA,1,2,3\n")
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,unit_cost\nA,1\n")
    result = CliRunner().invoke(main, ["train", "--history", str(history), "--catalog", str(catalog),
                                       "--out", str(tmp_path / "m"), *options])
    assert result.exit_code == 2, result.output
    assert f"{named} {'do' if ',' in named else 'does'} not apply with --history" in result.output, result.output
    assert not (tmp_path / "m").exists()


_IGNORED = [
    # the finding: --curriculum/--randomize trained identical weights with --algo adaptive, recorded nothing
    (["--algo", "adaptive", "--curriculum"], "--curriculum"),
    (["--algo", "adaptive", "--randomize"], "--randomize"),
    (["--algo", "es", "--curriculum", "--randomize"], "--curriculum, --randomize"),
    (["--algo", "adaptive", "--timesteps", "500"], "--timesteps"),
    (["--algo", "es", "--n-envs", "2"], "--n-envs"),
    (["--algo", "adaptive", "--hidden", "4"], "--hidden"),
    # the finding: ES options were accepted and ignored by a PPO run
    (["--algo", "ppo", "--population", "4", "--sigma", "9", "--generations", "7"],
     "--population, --sigma, --generations"),
    (["--algo", "sac", "--seeds-per-generation", "2"], "--seeds-per-generation"),
    (["--algo", "hybrid", "--workers", "3"], "--workers"),
    (["--algo", "sac", "--n-steps", "64"], "--n-steps"),
    (["--algo", "hybrid", "--learner", "sac", "--n-steps", "64"], "--n-steps"),
    # the finding: an objective with --algo es was refused by train_es as a plain error (exit 1)
    (["--algo", "es", "--target", "fill_rate>=0.9"], "--target"),
    (["--algo", "es", "--incumbent", "base_stock", "--deviation-weight", "0.5"], "--incumbent, --deviation-weight"),
]


class _TrainingReachedError(Exception):
    """Raised by the stubbed trainers: the command got past its option checks."""


@pytest.fixture()
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    import hybridinv.rl.training as training

    def stop(*args: object, **kwargs: object) -> None:
        raise _TrainingReachedError

    monkeypatch.setattr(training, "train", stop)
    monkeypatch.setattr(training, "train_es", stop)


def _train_refused(tmp_path: Path, options: list[str]) -> Any:
    """``hybridinv train`` on multi_10 with ``options``, checked to exit 2 (a usage error)."""
    out = tmp_path / "m"
    result = CliRunner().invoke(main, ["train", "--scenario", "multi_10", "--out", str(out), "--quiet", *options])
    assert result.exit_code == 2, result.output
    return result


@pytest.mark.parametrize(("options", "named"), _IGNORED)
def test_options_the_algorithm_ignores_are_refused(
    tmp_path: Path, no_training: None, options: list[str], named: str
) -> None:
    result = _train_refused(tmp_path, options)
    assert f"Error: {named} " in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("options", "says"), [
    # the finding: "--timesteps do not apply", "--population only apply"; --hidden with adaptive got the hint to
    # bound the run with --generations and --time-limit
    (["--algo", "es", "--timesteps", "5"], "--timesteps does not apply with --algo es"),
    (["--algo", "es", "--timesteps", "5", "--n-envs", "2"], "--timesteps, --n-envs do not apply with --algo es"),
    (["--algo", "ppo", "--population", "4"], "--population applies only with --algo es or adaptive"),
    (["--algo", "ppo", "--population", "4", "--sigma", "1"], "--population, --sigma apply only with --algo es"),
    (["--algo", "adaptive", "--hidden", "8"], "--hidden does not apply with --algo adaptive (a linear map per SKU: no "
                                             "hidden layer)"),
    (["--cutoff", "5"], "--cutoff applies only with --history"),
])
def test_refusals_of_ignored_options_read_as_sentences(
    tmp_path: Path, no_training: None, options: list[str], says: str
) -> None:
    result = CliRunner().invoke(main, ["train", "--scenario", "multi_10", "--out", str(tmp_path / "m"), "--quiet",
                                       *options])
    assert result.exit_code == 2 and f"Error: {says}" in result.output, result.output
    assert "--generations and --time-limit" not in result.output or "--hidden" not in result.output


@pytest.mark.parametrize("seeds", ["0", "-3"])
def test_a_count_of_evaluation_seeds_below_one_names_the_value(tmp_path: Path, no_training: None, seeds: str) -> None:
    # the finding: "column 'eval_seeds', value (): must be a non-empty list of whole numbers", the value not given
    for algo in ("ppo", "es"):
        result = CliRunner().invoke(main, ["train", "--algo", algo, "--eval-seeds", seeds, "--out",
                                           str(tmp_path / "m"), "--quiet"])
        assert result.exit_code == 2, result.output
        assert f"Invalid value for '--eval-seeds': {seeds} is not in the range x>=1" in result.output, result.output


def test_options_left_at_their_defaults_are_not_refused(tmp_path: Path, no_training: None) -> None:
    """Only options given on the command line are refused: the defaults of the other algorithm's options are fine."""
    for algo in ("adaptive", "es", "ppo", "sac", "hybrid"):
        result = CliRunner().invoke(main, ["train", "--algo", algo, "--out", str(tmp_path / algo), "--quiet"])
        assert isinstance(result.exception, _TrainingReachedError), (algo, result.output)


@pytest.mark.parametrize(("options", "named"), [
    # the finding: these refusals of TrainConfig exited 1 as plain errors, --timesteps with es exited 2
    (["--algo", "ppo", "--learner", "sac"], "--algo"),
    (["--algo", "hybrid", "--learner", "sac", "--warm-start", "hybrid_ppo_multi_50"], "--warm-start"),
    (["--algo", "es", "--parameterization", "forecast_ss"], "--algo"),
    (["--algo", "ppo", "--credit", "sku"], "--credit"),
    (["--algo", "hybrid", "--credit", "sku"], "--credit"),  # the safety_stock parameterization
    (["--algo", "ppo", "--n-steps", "1"], "--n-steps"),  # TrainConfig's check, no longer the command's own
    (["--algo", "ppo", "--timesteps", "0"], "--timesteps"),
    (["--algo", "es", "--population", "3"], "--population"),
])
def test_refused_settings_are_usage_errors_naming_the_option(
    tmp_path: Path, no_training: None, options: list[str], named: str
) -> None:
    result = _train_refused(tmp_path, options)
    assert "Usage: " in result.output and f"Invalid value for {named}: " in result.output, result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_train_refuses_fewer_than_one_worker(tmp_path: Path, no_training: None, workers: str) -> None:
    # the finding: train --algo adaptive --workers 0 trained (inline) as if --workers 1 had been given
    out = tmp_path / "m"
    args = ["train", "--algo", "adaptive", "--workers", workers, "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("workers", [0, -2, 1.5])
def test_train_es_refuses_fewer_than_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: object
) -> None:
    import hybridinv.rl.adaptive as adaptive
    from hybridinv.core.errors import PlanningError
    from hybridinv.rl.training import TrainConfig, train_es

    def stop(*args: object, **kwargs: object) -> None:
        raise _TrainingReachedError

    monkeypatch.setattr(adaptive, "train_adaptive", stop)
    with pytest.raises(PlanningError) as info:
        train_es(TrainConfig(algo="adaptive"), tmp_path / "m", workers=workers)  # type: ignore[arg-type]
    assert info.value.column == "workers"


def test_a_short_history_without_cutoff_names_the_history_not_cutoff(tmp_path: Path) -> None:
    import pandas as pd

    history, catalog = _history_files(tmp_path)
    frame = pd.read_csv(history)
    frame.iloc[:, :9].to_csv(history, index=False)  # sku + 8 months
    result = CliRunner().invoke(main, ["train", "--history", str(history), "--catalog", str(catalog),
                                       "--out", str(tmp_path / "m"), "--quiet"])
    assert result.exit_code != 0
    assert "column 'history'" in result.output and "at least 12 periods" in result.output, result.output
    assert "cutoff" not in result.output


def test_a_history_of_zeros_is_refused_before_training(tmp_path: Path) -> None:
    # train --history trained on it and wrote a base model with a report of zeros; backtest refused it
    import pandas as pd

    history, catalog = _history_files(tmp_path)
    frame = pd.read_csv(history)
    frame.iloc[:, 1:] = 0
    frame.to_csv(history, index=False)
    result = CliRunner().invoke(main, ["train", "--history", str(history), "--catalog", str(catalog),
                                       "--out", str(tmp_path / "m"), "--quiet"])
    assert result.exit_code != 0 and "records no demand" in result.output, result.output
    assert not (tmp_path / "m").exists()


def test_an_unwritable_out_and_n_envs_below_one_are_refused_before_training(tmp_path: Path,
                                                                              no_training: None) -> None:
    # --out afile/sub trained to the end (20 s), then failed with 'Not a directory'
    (tmp_path / "afile").write_text("")
    for algo in (["--algo", "adaptive"], ["--algo", "hybrid"]):
        result = CliRunner().invoke(main, ["train", "--scenario", "multi_10", "--out", str(tmp_path / "afile" / "sub"),
                                           "--quiet", *algo])
        assert result.exit_code == 2 and "cannot write to" in result.output and "--out" in result.output, result.output
    # --n-envs 0 was named as an --n-steps error
    result = CliRunner().invoke(main, ["train", "--scenario", "multi_10", "--algo", "hybrid", "--n-envs", "0",
                                       "--out", str(tmp_path / "m"), "--quiet"])
    assert result.exit_code == 2 and "--n-envs" in result.output and "--n-steps" not in result.output, result.output


_WITHOUT_RL_EXTRA = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'stable_baselines3'):
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
sys.meta_path.insert(0, Block())
from hybridinv.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    print('exit', exc.code, 'torch' in sys.modules)
"""


def test_evolution_strategies_train_without_the_rl_extra(tmp_path: Path) -> None:
    """``train --algo es|adaptive`` and ``--history`` never use torch, but the training module imported it: they
    failed on the core install with "this needs the optional dependency 'torch'"."""
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", _WITHOUT_RL_EXTRA, "train", *args, "--quiet"],
                              capture_output=True, text=True, cwd=tmp_path, timeout=300)

    es = run("--scenario", "multi_10", "--algo", "adaptive", "--out", "m", "--population", "2", "--generations", "1",
             "--seeds-per-generation", "1", "--eval-seeds", "1", "--workers", "1")
    assert es.stdout.strip().endswith("exit 0 False"), es.stdout + es.stderr
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["metadata.json", "policy.npz"]
    ppo = run("--scenario", "multi_10", "--algo", "ppo", "--out", "p", "--timesteps", "64")
    assert "exit 1" in ppo.stdout and "hybridinv[rl]" in ppo.stdout + ppo.stderr  # the one-line hint, as before


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_an_interruption_while_the_bar_is_made_still_prints_its_line_on_a_line_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CI failure: SIGINT came while ES made its bar (right after its first checkpoint, which the test above waits
    for), after the bar's first display and before the context that closes it, so the bar was never closed and the
    line was appended to its text: ``es:   0%|   | 0/1000 [00:00<?, ?gen/s]Interrupted by SIGINT: ...``."""
    import hybridinv.rl.es as es

    made = []  # alive as the interrupted constructor's frame kept it (a bar dropped at once closes in __del__)

    def interrupted_while_made(progress: bool, total: int) -> object:
        from tqdm.auto import tqdm

        made.append(tqdm(total=total, desc="es", unit="gen"))  # displayed, never closed: Ctrl-C came before the
        raise KeyboardInterrupt  # context that closes it was entered

    monkeypatch.setattr(es, "_progress_bar", interrupted_while_made)
    out = tmp_path / "m"
    result = CliRunner().invoke(main, ["train", "--scenario", "single_sku", "--algo", "es", "--generations", "3",
                                       "--population", "4", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 130, result.output
    *bar, last = result.stderr.strip().splitlines()
    assert last.startswith("Interrupted by SIGINT: stopped before the end"), result.stderr
    assert bar and all(line.startswith("es: ") for line in bar), result.stderr  # the bar, closed before the line


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads worker processes from /proc (Linux)")
@pytest.mark.parametrize(("signum", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_an_interrupted_es_training_stops_with_one_line_and_its_exit_code(tmp_path: Path, signum: str,
                                                                           code: int) -> None:
    """The finding: SIGTERM ended `hybridinv train --algo es --workers 2` without a word, its two workers kept running
    and printed BrokenPipeError tracebacks later; Ctrl-C (SIGINT to the whole process group) printed
    "Process ForkPoolWorker-1:" lines of the workers and click's "Aborted!", exit code 1. Now: one line naming the
    signal and what the model folder holds (a whole checkpoint), exit code 128 + the signal, no worker left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "m"
    args = ["train", "--scenario", "multi_10", "--algo", "es", "--out", str(out), "--workers", "2", "--population",
            "4", "--seeds-per-generation", "1", "--eval-seeds", "1", "--generations", "1000", "--time-limit", "120"]
    script = (f"{AS_A_TERMINAL_JOB}; import faulthandler, signal, sys; "
              "faulthandler.register(signal.SIGUSR1, all_threads=True); "  # SIGUSR1: the stacks, should it ever hang
              "from hybridinv.cli import main; main(sys.argv[1:])")
    process = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)  # its own process group, as a terminal's job
    try:
        deadline = time.monotonic() + 120
        while not (out / "metadata.json").exists() or len(child_pids(process.pid)) < 2:  # a checkpoint, the pool
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.1)
        workers = child_pids(process.pid)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    stdout, stderr = interrupt_and_wait(process, signum, timeout=60)
    assert process.returncode == code, stderr
    *bar, last = stderr.strip().splitlines()
    assert last == (f"Interrupted by {signum}: stopped before the end; {out} holds the best model evaluated before "
                    "the interruption (a whole checkpoint)")
    assert all(line.startswith("es: ") for line in bar), stderr  # the progress bar alone, closed before the line
    assert not any(_alive(pid) for pid in workers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no .writing or .replaced folder beside it
    from hybridinv.rl import Hybrid

    Hybrid.load(out)  # the checkpoint is whole: it verifies and loads


@pytest.mark.parametrize("parameterization", ["forecast_ss", "forecast_capped"])
def test_the_history_refusal_names_the_parameterization_it_trains(tmp_path: Path, parameterization: str) -> None:
    """--parameterization forecast_capped --history trains the capped hybrid: the refusal said forecast_ss."""
    history = tmp_path / "history.csv"
    history.write_text("sku,w1,w2,w3\nA,1,2,3\n")
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,unit_cost\nA,1\n")
    result = CliRunner().invoke(main, ["train", "--history", str(history), "--catalog", str(catalog), "--out",
                                       str(tmp_path / "m"), "--parameterization", parameterization,
                                       "--scenario", "multi_50"])
    assert result.exit_code == 2, result.output
    assert f"it trains the {parameterization} hybrid by ES on the history" in result.output, result.output


def test_backtest_trains_its_hybrid_on_replays_with_train_episodes(tmp_path: Path) -> None:
    from hybridinv.rl.integrity import read_metadata

    history, catalog = _history_files(tmp_path)
    out = tmp_path / "bt"
    args = ["backtest", "--history", str(history), "--catalog", str(catalog), "--cutoff", "24", "--policies",
            "hybrid_trained", "--train-seconds", "2", "--workers", "1", "--train-episodes", "replay", "--train-gate",
            "total", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    meta = read_metadata(out / "models" / "hybrid_trained")
    assert meta["scenario"]["kind"] == "history replay" and meta["training"]["settings"]["episodes"] == "replay"
    assert meta["training"]["settings"]["gate"] == "total" and meta["validation"]["rule"] == "total"
