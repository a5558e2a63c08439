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


HLO = """HloModule a_inference_steps_1__.5, entry_computation_layout={...}

%fused_computation.1 (param_0: f32[4,3]) -> f32[4,3] {
  %param_0 = f32[4,3]{1,0} parameter(0)
  ROOT %inner = f32[4,3]{1,0} multiply(%param_0, %param_0), metadata={op_type="Mul"}
}

ENTRY %a_inference_steps_1__.5 (arg0.1: f32[2,4], arg1.1: f32[4,3]) -> f32[4,3] {
  %arg0.1 = f32[2,4]{1,0} parameter(0), metadata={op_name="XLA_Args"}
  %MatMul.7 = f32[2,3]{1,0} dot(%arg0.1, %arg1.1), lhs_contracting_dims={1}, rhs_contracting_dims={0}, metadata={op_type="MatMul" op_name="MatMul"}
  %multiply_add_fusion.2 = f32[4,3]{1,0} fusion(%arg1.1, %MatMul.7), kind=kLoop, calls=%fused_computation.1, metadata={op_type="ResourceApplyAdam" op_name="Adam/update_g_w1/ResourceApplyAdam"}
  %subtract_fusion.3 = f32[4,3]{1,0} fusion(%arg1.1), kind=kLoop, calls=%fused_computation.1, metadata={op_type="AssignSubVariableOp" op_name="ExponentialMovingAverage/AssignMovingAvg"}
  %tanh_fusion = f32[2,3]{1,0} fusion(%MatMul.7), kind=kLoop, calls=%fused_computation.1, metadata={op_type="Tanh" op_name="Tanh"}
  %ynn_fusion.4 = f32[2,3]{1,0} fusion(%arg0.1, %arg1.1), kind=kCustom, calls=%fused_computation.1, metadata={op_type="MatMul" op_name="MatMul_1"}
  ROOT %tuple.9 = (f32[4,3]{1,0}) tuple(%multiply_add_fusion.2)
}
"""


def test_the_programs_parts_are_named_by_what_they_came_from():
    kinds = step_profile.hlo_kinds(HLO)
    assert kinds["MatMul.7"] == kinds["ynn_fusion.4"] == "matrix products"
    assert kinds["multiply_add_fusion.2"] == "Adam"
    assert kinds["subtract_fusion.3"] == "weight average"
    assert kinds["tanh_fusion"] == "Tanh"
    assert kinds["tuple.9"] == "tuple"
    assert "inner" not in kinds  # inside a fusion: not a part of its own


def test_the_traces_events_are_summed_by_kind():
    from tensorflow.tsl.profiler.protobuf import xplane_pb2
    space = xplane_pb2.XSpace()
    plane = space.planes.add()
    for i, name in enumerate(["MatMul.7", "multiply_add_fusion.2", "SessionRun"], 1):
        plane.event_metadata[i].id, plane.event_metadata[i].name = i, name
    for _ in range(2):  # two threads' lines
        line = plane.lines.add()
        for metadata_id, ps in ((1, 2_000_000_000), (2, 500_000_000), (3, 9e12), (1, 1e9)):
            line.events.add(metadata_id=metadata_id, duration_ps=int(ps))
    totals = step_profile.thunk_times(space, step_profile.hlo_kinds(HLO))
    assert dict(totals) == {"matrix products": [4, 6.0], "Adam": [2, 1.0]}
