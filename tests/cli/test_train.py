"""``hybridinv train``: its default algorithm is the one that made the shipped default model."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

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
