"""The progress lines of long jobs."""

import io

from gan_mnist.meter import Meter, duration


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Gone(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_log_gets_one_line_per_task(monkeypatch):
    out = io.StringIO()
    meter = Meter(out)
    with meter.task("classifying 10 images", 10) as tick:
        for _ in range(10):
            tick()
    with meter.task("figures", 3) as tick:
        tick(3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("classifying 10 images: ") and lines[0].endswith(" s")


def test_a_terminal_gets_a_line_redrawn_with_the_time_left(monkeypatch):
    clock = iter(range(0, 1000))
    monkeypatch.setattr("gan_mnist.meter.time.time", lambda: float(next(clock)))
    out = Terminal()
    with Meter(out).task("generating 4 images", 4) as tick:
        for _ in range(4):
            tick()
    text = out.getvalue()
    assert "\r" in text and "left " in text and "50%" in text
    assert text.endswith("generating 4 images: 5.0 s\033[K\n")


def test_a_stream_that_is_gone_silences_the_meter_not_the_work():
    meter = Meter(Gone())
    done = []
    with meter.task("work", 2) as tick:
        tick()
        done.append(1)
    assert done == [1] and meter.out is None


def test_durations_read_as_minutes_and_hours():
    assert [duration(s) for s in (7, 185, 7440)] == ["7s", "3m05s", "2h04m"]
