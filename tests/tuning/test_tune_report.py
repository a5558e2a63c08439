"""The report's pure parts: ranking, the commands, progress lines, curves."""

import shlex

import pytest

from gan_mnist.tuning import picture, report, space


optuna = pytest.importorskip("optuna")
State = optuna.trial.TrialState
CMD = ("TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python -m gan_mnist.train "
       "--output '/s/trials/0003/run dir' --seed 3 --learning-rate 0.0004")


def trial(number, state, value=None, steps=None, **attrs):
    dist = optuna.distributions.FloatDistribution(1e-5, 1e-2, log=True)
    t = optuna.trial.create_trial(
        state=state, value=value if state == State.COMPLETE else None,
        params={"learning_rate": 1e-3 + number * 1e-4},
        distributions={"learning_rate": dist},
        intermediate_values=steps or {}, user_attrs=attrs)
    t.number = number
    return t


def test_ranked_puts_the_best_first_whatever_the_direction():
    trials = [trial(0, State.COMPLETE, 30.0), trial(1, State.PRUNED, steps={2: 300.0}),
              trial(2, State.COMPLETE, 20.0), trial(3, State.FAIL),
              trial(4, State.RUNNING, steps={2: 25.0, 4: 22.0}),
              trial(5, State.PRUNED, steps={2: 20.0})]
    assert [t.number for t in report.ranked(trials, "minimize")] == [2, 5, 4, 0, 1]
    assert [t.number for t in report.ranked(trials, "maximize")] == [1, 0, 4, 2, 5]
    assert report.ranked([trial(0, State.RUNNING)], "minimize") == []


def test_the_rerun_command_is_the_recorded_one_in_a_new_folder():
    again = report.rerun_command(CMD, 3)
    words = shlex.split(again)
    assert words[words.index("--output") + 1] == "trial-0003"
    assert words[:2] == ["TF_NUM_INTRAOP_THREADS=1", "TF_NUM_INTEROP_THREADS=1"]
    rest = shlex.split(CMD)
    rest[rest.index("--output") + 1] = "trial-0003"
    assert words == rest


def test_describe_shows_figures_minutes_parameters_and_command():
    t = trial(3, State.COMPLETE, 21.5, seed=3, command=CMD, train_minutes=1.55,
              last_eval={"fid": 21.5, "mnist_score": 8.1234, "class_kl": 0.01,
                         "precision": 0.7, "recall": 0.8, "class_entropy": 2.2931,
                         "sample_entropy": 0.1543, "epochs": 10})
    head, params, again = report.describe(t, 1)
    assert head.startswith("1. trial 3 COMPLETE: fid 21.5  mnist_score 8.123")
    assert "recall 0.8  class_entropy 2.293  sample_entropy 0.1543 (after" in head
    assert "after 10 epochs, 2 min of training" in head
    assert params.strip() == "parameters: learning_rate=0.0013  seed=3"
    assert again.strip() == "again: " + report.rerun_command(CMD, 3)


def test_a_running_trial_shows_its_newest_evaluation():
    t = trial(4, State.RUNNING, seed=4, command=CMD,
              curve={"5": [1.0, 90.5, 6.2, 0.1, 0.5, 0.4],
                     "10": [2.0, 40.25, 7.1, 0.05, 0.6, 0.7]})
    head = report.describe(t, 1)[0]
    assert head.startswith("1. trial 4 RUNNING: fid 40.25  mnist_score 7.1  class_kl 0.05")
    assert "(after 10 epochs)" in head


def test_text_counts_states_and_says_when_nothing_is_evaluated():
    s = space.builtin()
    out = report.text("st", "sqlite:///x.db", [trial(0, State.RUNNING),
                                               trial(1, State.FAIL)], s)
    assert "2 trials (1 fail, 1 running)" in out and "no trial has been evaluated" in out
    out = report.text("st", "u", [trial(0, State.COMPLETE, 5.0), trial(1, State.COMPLETE, 4.0)],
                      s, top=1)
    assert "1. trial 1 COMPLETE" in out and "trial 0" not in out


def test_eta_counts_waves_of_parallel_trials():
    assert report.eta([], 5, 2) is None
    assert report.eta([60.0, 120.0], 0, 2) == 0.0
    assert report.eta([60.0, 120.0], 4, 2) == 2 * 90.0
    assert report.eta([60.0, 120.0], 5, 2) == 3 * 90.0
    assert report.eta([100.0], 3, 0) == 300.0


def test_progress_line():
    line = report.progress_line(7, "COMPLETE", "fid", {"fid": 22.4123, "epochs": 10},
                                {"train_minutes": 1.6}, 5, 15, 12 * 60)
    assert line == ("trial 7 COMPLETE: fid 22.41 after 10 epochs (2 min of training); "
                    "5 finished, 15 left, about 12 min left")
    line = report.progress_line(8, "FAIL", "fid", None, {"error": "diverged"}, 5, 15, None)
    assert line == "trial 8 FAIL: diverged; 5 finished, 15 left"
    assert report.progress_line(9, "PRUNED", "fid", {"fid": 300.0, "epochs": 4},
                                {"train_minutes": 0.5}, 20, 0, 0.0).endswith("20 finished, 0 left")
    assert "about 1h05m left" in report.progress_line(1, "COMPLETE", "fid", None, {}, 1, 2, 3900)


def test_curves_take_each_trials_evaluations():
    curve = {"2": [0.3, 400.0, 2.0, 1.0, 0.1, 0.0], "4": [0.6, 200.0, 3.0, 0.5, 0.2, 0.1],
             "10": [1.5, 50.0, 7.0, 0.1, 0.6, 0.5]}
    trials = [trial(0, State.COMPLETE, 50.0, curve=curve),
              trial(1, State.PRUNED, curve={"2": [0.3, 900.0, 1.0, 2.0, 0.0, None]}),
              trial(2, State.RUNNING)]
    got = picture.curves(trials, "fid")
    assert got == {0: ("COMPLETE", [0.3, 0.6, 1.5], [400.0, 200.0, 50.0]),
                   1: ("PRUNED", [0.3], [900.0])}
    assert picture.curves(trials, "recall") == {0: ("COMPLETE", [0.3, 0.6, 1.5],
                                                    [0.0, 0.1, 0.5])}


def test_picture_without_enough_trials_says_why(tmp_path):
    study = optuna.create_study()
    study.add_trial(trial(0, State.PRUNED, curve={"2": [0.3, 900.0, 1, 2, 0, 0]},
                          steps={2: 900.0}))
    path = tmp_path / "s.png"
    note = picture.draw(study, study.get_trials(), space.builtin(), str(path))
    assert "need 2 complete trials" in note
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["s.png"]  # no temporary left
