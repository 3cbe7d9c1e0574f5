"""Scraping /metrics and reading single samples out of Prometheus' text format."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

SCRAPER_TOKEN = "s" * 40  # METRICS_TOKEN in these tests: at least 32 characters


def scraper_auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {SCRAPER_TOKEN}"}


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the one sample called `name` whose labels include `labels`; 0 when
    there is none (a labelled series appears only once something was counted)."""
    found = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    ]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
    return found[0] if found else 0.0


def label_values(text: str, name: str, label: str) -> set[str]:
    return {
        s.labels[label]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and label in s.labels
    }
