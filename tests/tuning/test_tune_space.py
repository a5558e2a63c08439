"""The search-space file: parsing, its checks, and the train flags it gives."""

import json
import random

import pytest

from gan_mnist.errors import UsageError
from gan_mnist.tuning import checks, space
from tuning_helpers import write_space

GOOD = """
epochs = 4
eval_every = 2
eval_num = 500
objective = "mnist_score"

[fixed]
recipe = "improved"
limit = 1000

[search]
learning-rate = { low = 1e-4, high = 1e-3, log = true }
d_steps = { low = 1, high = 3 }
init = ["glorot", "truncated_normal"]

[pruner]
kind = "halving"
reduction_factor = 2

[[first]]
learning_rate = 2e-4
"""


def refused(raw, *words):
    """parse(raw) must raise one line holding ``words``."""
    with pytest.raises(UsageError) as e:
        checks.parse(raw, "f.toml")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("f.toml: ")
    for w in words:
        assert w in msg, msg
    return msg


def base(**search):
    return {"search": search or {"beta1": {"low": 0.1, "high": 0.5}}}


def test_a_full_file_parses(tmp_path):
    s = space.load(write_space(tmp_path, GOOD))
    assert (s.epochs, s.eval_every, s.eval_num) == (4, 2, 500)
    assert s.objective == "mnist_score" and s.direction == "maximize"
    assert s.fixed == {"recipe": "improved", "limit": 1000}
    lr, steps, init = (s.search[k] for k in ("learning_rate", "d_steps", "init"))
    assert (lr.kind, lr.low, lr.high, lr.log) == ("float", 1e-4, 1e-3, True)
    assert (steps.kind, steps.low, steps.high) == ("int", 1, 3)
    assert init.choices == ["glorot", "truncated_normal"]
    assert s.pruner == {"kind": "halving", "min_epochs": 2, "reduction_factor": 2,
                        "min_early_stopping_rate": 0}
    assert s.first == [{"learning_rate": 2e-4}]
    assert s.seed is None and s.trial_seed(7) == 7


def test_json_twin_and_printed_toml_give_the_same_space(tmp_path):
    toml_space = space.load(write_space(tmp_path, GOOD))
    import tomllib
    raw = tomllib.loads(GOOD)
    json_space = space.load(write_space(tmp_path, json.dumps(raw), "s.json"))
    assert json_space.as_dict() == toml_space.as_dict()
    again = space.load(write_space(tmp_path, space.to_toml(toml_space), "again.toml"))
    assert again.as_dict() == toml_space.as_dict()
    # and the study's stored form (JSON) parses back to it
    stored = json.loads(json.dumps(toml_space.as_dict()))
    assert checks.parse(stored, "stored").as_dict() == toml_space.as_dict()


def test_builtin_space_is_around_recipe_fast():
    s = space.builtin()
    assert s.fixed == {"recipe": "fast"}
    assert (s.epochs, s.eval_every, s.objective) == (10, 2, "fid")
    lr = s.search["learning_rate"]
    assert lr.log and lr.low < 4e-4 < lr.high
    assert s.first and s.first[0]["learning_rate"] == 4e-4
    assert s.pruner["kind"] == "median"


def test_train_flags_write_each_value_exactly():
    s = checks.parse(dict(base(), fixed={"recipe": "fast", "shuffle": True,
                                         "max_epoch": 100}, epochs=10), "f")
    words = s.train_flags({"beta1": 0.30000000000000004}, 5)
    assert words[:8] == ["--seed", "5", "--max-epoch", "100", "--stop-after", "10",
                         "--eval-every", "2"]
    assert words[words.index("--recipe") + 1] == "fast"
    assert "--shuffle" in words and "True" not in words
    assert float(words[words.index("--beta1") + 1]) == 0.30000000000000004
    rng = random.Random(0)
    for _ in range(200):  # every float goes through the command unchanged
        v = 10 ** rng.uniform(-9, 0)
        w = space.flag_words("learning_rate", v)
        assert float(w[1]) == v
    no_max = checks.parse(base(), "f").train_flags({"beta1": 0.2}, 1)
    assert no_max[no_max.index("--max-epoch") + 1] == "10"
    assert "--stop-after" not in no_max


@pytest.mark.parametrize("raw, words", [
    (dict(base(), fixed={"learnig_rate": 1e-3}), ["fixed.learnig_rate", "learning_rate?"]),
    (base(**{"colour": [1, 2]}), ["search.colour", "not an option"]),
    (dict(base(), fixed={"output": "x"}), ["fixed.output", "set by the tuner"]),
    (dict(base(), fixed={"restore": True}), ["fixed.restore", "remove it"]),
    (dict(base(), fixed={"eval-every": 3}), ["fixed.eval-every", "top level"]),
    (dict(base(), fixed={"seed": 3}), ["fixed.seed", "seed = N"]),
    (base(max_epoch={"low": 5, "high": 9}), ["search.max_epoch", "[fixed]"]),
    (dict(base(), fixed={"learning_rate": 1e-3, "learning-rate": 2e-3}),
     ["fixed.learning-rate", "one spelling"]),
    (base(beta1={"low": 0.5, "high": 0.1}), ["search.beta1", "empty range", "swap"]),
    (base(beta1={"low": 0.5, "high": 0.5}), ["search.beta1", "[fixed]"]),
    (base(beta1={"low": "0.1", "high": 0.5}), ["search.beta1.low", "a number"]),
    (base(d_steps={"low": 1.0, "high": 3}), ["search.d_steps.low", "whole number"]),
    (base(beta1={"low": 0.1}), ["search.beta1", "needs high"]),
    (base(beta1={"low": 0.1, "high": 0.5, "scale": "log"}), ["search.beta1.scale"]),
    (base(beta1={"low": 0.0, "high": 0.5, "log": True}), ["search.beta1", "low > 0"]),
    (base(keep_prob={"low": 0.5, "high": 1.5}), ["search.keep_prob", "1.5", "(0, 1]"]),
    (base(learning_rate=[]), ["search.learning_rate", "empty list"]),
    (base(init=["glorot", "zeros"]), ["search.init", "zeros"]),
    (base(init={"low": 1, "high": 2}), ["search.init", "list of choices"]),
    (base(shuffle=[True, 1]), ["search.shuffle", "true or false"]),
    (dict(base(shuffle=[True, False]), fixed={"recipe": "fast"}),
     ["search.shuffle", "no flag to turn it off"]),
    (dict(base(), fixed={"recipe": "slow"}), ["fixed.recipe", "improved"]),
    (dict(base(), fixed={"xla": True, "precision": "bfloat16"}), ["fixed", "xla"]),
    (dict(base(), epochs=5), ["eval_every", "does not divide"]),
    (dict(base(), epochs=0), ["epochs", ">= 1"]),
    (dict(base(), eval_num=5), ["eval_num", ">= 10"]),
    (dict(base(), objective="loss"), ["objective", "fid"]),
    (dict(base(), pruner={"kind": "hyper"}), ["pruner.kind", "median"]),
    (dict(base(), pruner={"kind": "median", "min_epochs": 2}), ["pruner.min_epochs"]),
    (dict(base(), pruner={"startup_trials": -1}), ["pruner.startup_trials", ">= 0"]),
    (dict(base(), first=[{"beta1": 0.9}]), ["first[0].beta1", "outside"]),
    (dict(base(), first=[{"keep_prob": 0.9}]), ["first[0].keep_prob", "not in [search]"]),
    (dict(base(), epoch=3), ["epoch", "did you mean epochs?"]),
    ({"fixed": {"beta1": 0.5}}, ["search", "empty"]),
    (dict(base(beta1=[0.1, 0.5]), fixed={"beta1": 0.5}), ["search.beta1", "also in [fixed]"]),
    (dict(base(), fixed={"max_epoch": 1}), ["fixed.max_epoch", "< epochs"]),
    (["not", "a", "table"], ["the file"]),
])
def test_bad_spaces_are_refused_in_one_line(raw, words):
    refused(raw, *words)


def test_every_range_end_is_checked_on_top_of_each_recipe():
    # lr_decay 1 works alone; batch sizes are checked whatever the recipe
    checks.parse(base(recipe=["improved", "fast"], lr_decay={"low": 0.0, "high": 1.0}), "f")
    refused(base(recipe=["improved", "fast"], batch_size={"low": 0, "high": 8}),
            "search.batch_size", "with recipe improved")


def test_file_problems_name_the_file(tmp_path):
    for name, text, word in [("s.yaml", "a: 1", ".toml or .json"),
                             ("s.toml", "epochs = [", "not valid TOML"),
                             ("s.json", "{", "not valid JSON")]:
        with pytest.raises(UsageError) as e:
            space.load(write_space(tmp_path, text, name))
        assert str(e.value).startswith(f"--space {tmp_path}") and word in str(e.value)
    with pytest.raises(UsageError, match="cannot read it"):
        space.load(str(tmp_path / "missing.toml"))


def test_whole_numbers_for_a_float_option_become_floats():
    parsed = checks.parse(base(label_smoothing=[0, 0.1]), "f")
    choices = parsed.search["label_smoothing"].choices
    assert choices == [0.0, 0.1] and all(isinstance(v, float) for v in choices)
    words = parsed.train_flags({"label_smoothing": choices[0]}, 1)
    assert words[words.index("--label-smoothing") + 1] == "0.0"
