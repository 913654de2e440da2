"""The long commands' progress display: on a terminal's stderr only, erased at the end."""

from __future__ import annotations

import io
import sys

from kmodel.cli.progress import ProgressDisplay


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_nothing_is_shown(capsys):
    with ProgressDisplay("work", total=2) as display:
        display.update(advance=1, detail="first")
        assert not display.shown
    assert capsys.readouterr() == ("", "")


def test_on_a_terminal_the_count_and_detail_show_then_are_erased(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with ProgressDisplay("work", total=2) as display:
        assert display.shown
        display.update(advance=1, detail="first")
        display.update(advance=1, detail="second", description="working")
    assert not display.shown
    written = terminal.getvalue()
    assert "working" in written
    assert "2/2" in written
    assert "second" in written
    # Transient: the last thing written moves the cursor up and clears the line.
    assert written.endswith("\x1b[1A\x1b[2K")


def test_without_a_total_there_is_no_count(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with ProgressDisplay("reading") as display:
        display.update(description="solving", detail="--timeout 10 s")
    written = terminal.getvalue()
    assert "solving" in written
    assert "--timeout 10 s" in written
    assert "/" not in written.replace("--timeout", "")
