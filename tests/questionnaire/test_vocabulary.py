"""The vocabulary the web form renders: the names in the answers spec, exactly."""

from __future__ import annotations

from intake import questionnaire as q


def test_odi_versions_differ_only_in_their_eighth_section() -> None:
    shared = (
        "pain_intensity",
        "personal_care",
        "lifting",
        "walking",
        "sitting",
        "standing",
        "sleeping",
    )

    assert q.ODI_SECTIONS["2.1a"] == (*shared, "sex_life", "social_life", "travelling")
    assert q.ODI_SECTIONS["modified"] == (
        *shared,
        "employment_homemaking",
        "social_life",
        "travelling",
    )
    assert tuple(q.ODI_SECTIONS) == q.ODI_VERSIONS == ("2.1a", "modified")


def test_ndi_has_ten_items() -> None:
    assert len(q.NDI_ITEMS) == len(set(q.NDI_ITEMS)) == 10


def test_finding_groups_split_the_findings() -> None:
    assert q.SURGICAL_SIGNAL_FINDINGS[0] == "hardware_loosening"
    assert q.SURGICAL_SIGNAL_FINDINGS[-1] == "progressive_neurological_deficit"
    assert q.REGENERATIVE_SIGNAL_FINDINGS == (
        "annular_tear",
        "high_intensity_zone",
        "discogenic_pain",
    )
    assert q.OTHER_FINDINGS[0] == "epidural_fibrosis"
    assert (
        q.SURGICAL_SIGNAL_FINDINGS + q.REGENERATIVE_SIGNAL_FINDINGS + q.OTHER_FINDINGS == q.FINDINGS
    )
    assert len(q.FINDINGS) == 24


def test_enumerations_match_the_answers_spec() -> None:
    assert q.PROCEDURE_TYPES == (
        "discectomy",
        "microdiscectomy",
        "laminectomy",
        "laminotomy_foraminotomy",
        "fusion",
        "artificial_disc",
        "other",
    )
    assert {"fusion", "artificial_disc"} == q.INSTRUMENTED_PROCEDURES
    assert q.REGIONS == ("cervical", "thoracic", "lumbar")
    assert q.ONSETS == ("before_surgery", "since_surgery_never_resolved", "after_surgery")
    assert q.CARE_RESPONSES == ("none", "partial", "good")
    assert len(q.SYMPTOMS) == 8
    assert len(q.CARE_TYPES) == 8
    assert q.SECTIONS[0] == "surgeries"
    assert q.SECTIONS[-2:] == ("red_flags", "consent")
