"""What every command shares: one style of help, and unknown flags."""

import re

import pytest

from gan_mnist import evaluate, export, generate, train, tune, views

COMMANDS = {"train": train.main, "generate": generate.main,
            "evaluate": evaluate.main, "export": export.main, "views": views.main,
            "tune": tune.main}


def _help(capsys, main):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


def _flags(text):
    """{flag: its help text, joined into one line} from argparse's help."""
    out, flag = {}, None
    for line in text.split("options:", 1)[1].splitlines():
        m = re.match(r"  (--[\w-]+)(?: [A-Z_{},.\w-]+)?(?:\s{2,}(.*))?$", line)
        if m:
            flag = m.group(1)
            out[flag] = m.group(2) or ""
        elif flag and line.startswith(" " * 10):
            out[flag] += " " + line.strip()
    return out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_one_style_of_help(capsys, name):
    """Plain text (no reST markup), every default shown as '(default: X)',
    and no default at all on a required flag or a switch."""
    text = _help(capsys, COMMANDS[name])
    assert "``" not in text and ":func:" not in text
    flags = _flags(text)
    assert flags
    for flag, help_ in flags.items():
        assert "default: None" not in help_ and "(default " not in help_, flag
        assert help_.count("(default") <= 1, flag
    for flag in ("--out", "--to"):
        if flag in flags:
            assert "(default" not in flags[flag]


def test_defaults_appear_where_they_are(capsys):
    assert "(default: 500)" in _flags(_help(capsys, train.main))["--max-epoch"]
    assert "(default: 0)" in _flags(_help(capsys, generate.main))["--seed"]
    assert "(default: 10000)" in _flags(_help(capsys, evaluate.main))["--num"]
    assert "(default: output)" in _flags(_help(capsys, views.main))["--output"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_answers_an_unknown_flag_in_one_line(capsys, name):
    argv = {"generate": ["--out", "x.png"], "export": ["--to", "x"]}.get(name, [])
    with pytest.raises(SystemExit) as e:
        COMMANDS[name]([*argv, "--bogus-flag"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "--bogus-flag" in err and "usage:" not in err
