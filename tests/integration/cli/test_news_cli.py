"""`aitrader news poll|list|score` in a subprocess, feeds replayed from the bundled captures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.cli.test_cli import run

DEMO = ROOT / "configs" / "news" / "demo.yaml"


@pytest.fixture(autouse=True)
def _demo_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AITRADER_NEWS_CONFIG", str(DEMO))


def _run(args: list[str], home: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    return run(args, home, db_url)


def test_poll_twice_stores_each_item_once_then_lists(tmp_path: Path, db_url: str) -> None:
    first = _run(["news", "poll"], tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    assert "coindesk: ok, 3 items, 3 new" in first.stdout
    assert "93 items stored" in first.stdout
    second = _run(["news", "poll"], tmp_path, db_url)
    assert second.returncode == 0, second.stderr
    assert "93 items stored" in second.stdout  # nothing stored twice
    # a fresh process restores each feed's ETag from the store: the server answers 304
    assert "coindesk: not_modified" in second.stdout
    listed = _run(["news", "list", "--source", "coindesk"], tmp_path, db_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 3
    assert all("[coindesk]" in line for line in lines)
    heist = next(line for line in lines if "heist" in line)
    assert "negative" in heist


def test_a_broken_feed_fails_the_command_but_the_others_land(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("this is not a feed")
    config = tmp_path / "news.yaml"
    capture = (ROOT / "data" / "sample" / "rss" / "coindesk_2026-09-25_3items.xml").resolve()
    config.write_text(
        "feeds:\n"
        f"  - {{name: coindesk, url: 'https://www.coindesk.com/rss', replay: '{capture}'}}\n"
        f"  - {{name: broken, url: 'https://example.com/rss', replay: '{broken}'}}\n"
    )
    monkeypatch.setenv("AITRADER_NEWS_CONFIG", str(config))
    result = _run(["news", "poll"], tmp_path, db_url)
    assert result.returncode == 1
    assert "coindesk: ok, 3 items, 3 new" in result.stdout
    assert "broken: error" in result.stdout
    assert "1 feed(s) failed: broken" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_news_config_is_one_line_error(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "news.yaml"
    config.write_text("feeds:\n  - {name: x, url: 'ftp://nope', replay: missing.xml}\n")
    monkeypatch.setenv("AITRADER_NEWS_CONFIG", str(config))
    result = _run(["news", "poll"], tmp_path, db_url)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "url" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_prints_label_per_text(tmp_path: Path, db_url: str) -> None:
    result = _run(
        ["news", "score", "Shares plunge on fraud probe", "Profit soars"], tmp_path, db_url
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert "negative" in first
    assert "Shares plunge" in first
    assert "positive" in second
