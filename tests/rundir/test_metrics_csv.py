"""metrics.csv: rows that round-trip, damaged rows dropped."""
from gan_mnist.rundir.metrics_csv import read_rows, write_rows


def test_metrics_rows_round_trip_and_damaged_rows_are_dropped(tmp_path):
    path = tmp_path / "metrics.csv"
    rows = [dict(epoch=0, d_loss=1.5, g_loss=0.25, d_real=0.5, d_fake=0.5, seconds=3.0),
            dict(epoch=1, d_loss=1.25, g_loss=0.5, d_real=0.6, d_fake=0.4, seconds=3.0,
                 fid=12.5)]
    write_rows(path, rows)
    assert read_rows(path) == rows[:1] + [rows[1]]
    with open(path, "a") as f:
        f.write("2,1.0,zz\n")
    assert [r["epoch"] for r in read_rows(path)] == [0, 1]
