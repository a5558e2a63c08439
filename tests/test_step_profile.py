"""scripts/step_profile.py measures what it says: the step's kernels as
TensorFlow traced them, each part alone, and the bytes the updates move."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
import step_profile  # noqa: E402
from gan_mnist.config import HParams  # noqa: E402


@pytest.fixture
def small():
    return HParams(batch_size=8, h1_size=16, h2_size=32, seed=1, learning_rate=2e-4,
                   beta1=0.5, g_average=0.999)


def test_the_trace_counts_one_iterations_kernels(small):
    ms, busy, switches, rows, kernels = step_profile.step_figures(small, calls=2, n_train=64)
    per_iteration = {kind: n for kind, n, _ in rows}
    # Twelve variables, each updated by Adam once per iteration; six shadows
    # moved by the average.
    assert per_iteration["ResourceApplyAdam"] == 12
    assert per_iteration["AssignSubVariableOp"] == 6
    assert ms > 0 and busy > 0 and switches >= 0
    assert kernels == pytest.approx(sum(per_iteration.values()))
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)


def test_each_part_is_timed_at_the_steps_shapes(small, monkeypatch):
    seen = []
    monkeypatch.setattr(step_profile.benchmark, "matmul_peak",
                        lambda hp: seen.append(hp) or 100.0)
    parts = step_profile.parts_alone(small, calls=2)
    assert seen == [small]
    flop = step_profile.benchmark.useful_flop(small)
    assert parts["matmuls (useful FLOP at the float32 peak)"] == pytest.approx(flop / 100.0 / 1e6)
    assert set(parts) == {"matmuls (useful FLOP at the float32 peak)", "Adam, both networks",
                          "weight average of G", "noise and dropout masks",
                          step_profile.EMPTY_CALL}
    assert all(t > 0 for t in parts.values())
    assert "weight average of G" not in step_profile.parts_alone(
        small._replace(g_average=0.0), calls=2)


def test_the_updates_bytes_follow_from_the_layer_sizes():
    state = step_profile.state_megabytes(HParams(g_average=0.999))
    g = 128 * 256 + 256 + 256 * 512 + 512 + 512 * 784 + 784
    d = 784 * 512 + 512 + 512 * 256 + 256 + 256 + 1
    assert state["weights"] == pytest.approx((g + d) * 4 / 1e6)
    assert state["Adam's passes"] == pytest.approx(7 * (g + d) * 4 / 1e6)
    assert state["average's passes"] == pytest.approx(3 * g * 4 / 1e6)


def test_copy_bandwidth_is_a_rate():
    rate = step_profile.copy_bandwidth(1.0, seconds=0.01)
    assert np.isfinite(rate) and rate > 0.1


def test_the_report_names_the_machine_and_adds_the_parts_up(capsys):
    step_profile.main(["--recipe", "improved", "--calls", "2", "--train-size", "64"])
    out = capsys.readouterr().out
    assert out.startswith(step_profile.cpu_name())
    assert "batch 32, --recipe improved, float32" in out
    together = next(line for line in out.splitlines() if "together" in line)
    ms = float(out.split("step: ")[1].split(" ms")[0])
    alone = float(together.split()[-6])
    assert together.endswith(f"{alone / ms:.0%} of the step")
