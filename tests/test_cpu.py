"""The CPU's name and features, and refusing bfloat16 where it would be emulated."""

import os

import pytest
from conftest import DATA

from gan_mnist import cpu, train
from gan_mnist.errors import UsageError


def test_bfloat16_is_refused_where_the_cpu_lacks_it(tmp_path, monkeypatch, capsys):
    assert cpu.cpu_flags(str(tmp_path / "none")) == (None, None)
    monkeypatch.setattr(cpu, "cpu_flags",
                        lambda: ("Old CPU", {"fpu", "sse2", "avx2", "fma"}))
    with pytest.raises(SystemExit) as e:
        train.main(["--output", str(tmp_path / "o"), "--data-dir", DATA,
                    "--precision", "bfloat16"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "--precision bfloat16: this CPU (Old CPU) has no bfloat16" in err
    assert not os.path.exists(tmp_path / "o")
    monkeypatch.setattr(cpu, "cpu_flags", lambda: ("New CPU", {"avx512_bf16"}))
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    with pytest.raises(UsageError, match="TF_ENABLE_ONEDNN_OPTS=0"):
        cpu.check_bfloat16()


def test_the_cpu_is_named_with_family_model_and_vector_width(tmp_path):
    info = tmp_path / "cpuinfo"
    block = ("processor\t: {n}\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
             "model\t\t: {model}\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 {more}\n\n")
    info.write_text(block.format(n=0, model=17, more="avx512f avx512_bf16")
                    + block.format(n=1, model=1, more=""))
    assert cpu.cpu_name(str(info)) == "AMD EPYC (family 25 model 17, AVX-512, avx512_bf16)"
    info.write_text(block.format(n=0, model=1, more=""))
    assert cpu.cpu_name(str(info)) == "AMD EPYC (family 25 model 1, AVX2)"
    info.write_text("model name\t: Some CPU\n")
    assert cpu.cpu_name(str(info)) == "Some CPU"
