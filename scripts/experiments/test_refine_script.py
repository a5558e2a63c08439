"""refine.py: its step-0 row is the samples as drawn, its steps change them."""

import importlib.util
import os

import pytest

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))


def _script():
    spec = importlib.util.spec_from_file_location("refine_script", os.path.join(HERE, "refine.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("extra", [[], ["--langevin", "--rejection", "50"]])
def test_it_prints_a_row_per_count_of_steps(extra, capsys):
    from gan_mnist.measure import scoring
    from gan_mnist.sampling import sources
    assert _script().main(["--pretrained", "--num", "300", "--steps", "2", "0", *extra]) == 0
    out = capsys.readouterr().out
    rows = [line.split(" | ") for line in out.splitlines() if line[:3] in ("| 0", "| 2")]
    assert [r[0] for r in rows] == ["| 0", "| 2"]
    fids = [float(r[3]) for r in rows]
    assert fids[0] != fids[1] and ("Langevin" in out) == bool(extra)
    if not extra:  # step 0: generate's own samples
        plain, _ = sources.draw(sources.load(pretrained=True), 300, 0)
        assert fids[0] == pytest.approx(scoring.score_images(plain)["fid"], rel=1e-3)
