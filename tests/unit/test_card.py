"""Model cards rendered as Markdown from the card data (services.card.markdown)."""

from __future__ import annotations

from typing import Any

from gitmodel.services.card import markdown


def card_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "churn",
        "version": "v0.2.0",
        "registered": True,
        "tag": "churn@v0.2.0",
        "commit": "2" * 40,
        "registered_at": "2024-05-01T12:00:00Z",
        "registered_by": "Ann <ann@example.com>",
        "message": "retrained on\nMarch data",
        "model": {
            "path": "models/churn.pkl",
            "hash": "blake3",
            "oid": "a" * 64,
            "size": 3 * 1024 * 1024,
            "kind": "file",
            "files": None,
        },
        "meta": {"framework": "sklearn", "notes": "a|b"},
        "metrics": [
            {"metric": "accuracy", "value": 0.8, "previous": 0.9, "change": -0.1},
            {"metric": "f1", "value": 0.5, "previous": None, "change": None},
        ],
        "previous_version": "v0.1.0",
        "deployed_in": ["staging"],
        "history": [
            {
                "tag": "churn#prod#3",
                "event": "rollback",
                "version": "v0.1.0",
                "stage": "prod",
                "counter": 3,
                "date": "2024-05-01T13:00:00Z",
                "author": "gitmodel <bot@example.com>",
                "message": "monitor check: accuracy below 0.85",
                "rollback_from": "v0.2.0",
            }
        ],
        "monitoring": {
            "summary": [
                {
                    "env": "prod",
                    "metric": "accuracy",
                    "count": 3,
                    "mean": 0.75,
                    "min": 0.7,
                    "max": 0.8,
                    "last": 0.75,
                    "first_time": "2024-05-01T12:10:00Z",
                    "last_time": "2024-05-01T12:30:00Z",
                }
            ],
            "rules": [
                {
                    "rule": 1,
                    "description": "accuracy below 0.85 for 3 observations in a row",
                    "action": "rollback",
                    "env": "prod",
                }
            ],
        },
    }
    data.update(changes)
    return data


def test_card_has_every_section_as_markdown_tables() -> None:
    text = markdown(card_data())
    assert text.startswith("# Model card: churn v0.2.0\n")
    for heading in ("## Metadata", "## Offline metrics", "## Deployment history", "## Monitoring"):
        assert f"\n{heading}\n" in text
    assert "| **Object** | blake3:`" + "a" * 64 + "` (3.0 MiB) |" in text
    assert "| **Deployed in** | staging |" in text
    assert "> retrained on\n> March data" in text
    assert "| metric | v0.2.0 | v0.1.0 | change |" in text
    assert "| accuracy | 0.8 | 0.9 | -0.1 |" in text and "| f1 | 0.5 | - | - |" in text
    assert "| notes | a\\|b |" in text  # a pipe in a value does not break the table
    assert "| 3 | 2024-05-01 13:00:00 | rollback from v0.2.0 | v0.1.0 | prod | gitmodel |" in text
    assert "| prod | accuracy | 3 | 0.75 | 0.7 | 0.8 | 0.75 | 2024-05-01 12:30:00 |" in text
    assert "- #1: accuracy below 0.85 for 3 observations in a row in prod → rollback" in text


def test_card_of_a_first_version_without_data_says_so() -> None:
    data = card_data(
        meta={},
        metrics=[{"metric": "accuracy", "value": 0.9, "previous": None, "change": None}],
        previous_version=None,
        deployed_in=[],
        history=[],
        message="",
        monitoring={"summary": [], "rules": []},
    )
    text = markdown(data)
    assert "## Metadata\n\nNone.\n" in text
    assert "| metric | v0.2.0 |\n|---|---|\n| accuracy | 0.9 |" in text
    assert "| **Deployed in** | nowhere |" in text
    assert "No events." in text and "No observations of v0.2.0 recorded." in text
    assert "Rules watching it" not in text and "\n>" not in text
    assert "| **Registered** | 2024-05-01 12:00:00 by Ann |" in text  # no <email>: HTML
