"""Complete, valid answers for fbss-intake/1; the API tests reuse them.

Deep-copy before changing one: `copy.deepcopy(COMPLETE_ANSWERS)`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from intake.questionnaire import RED_FLAG_KEYS

# A birth date and "today" that every date below respects.
DATE_OF_BIRTH = date(1968, 7, 14)
TODAY = date(2024, 5, 15)

NO_RED_FLAGS: dict[str, Any] = dict.fromkeys(RED_FLAG_KEYS, False)

# Lumbar fusion at L4-L5/L5-S1 with hardware at L5-S1, better for 8 months, then worse.
COMPLETE_ANSWERS: dict[str, Any] = {
    "surgeries": [
        {
            "procedure_type": "fusion",
            "region": "lumbar",
            "levels": ["L4-L5", "L5-S1"],
            "instrumented_levels": ["L5-S1"],
            "surgery_date": "2023-02",
            "surgeon": "Dr A. Surgeon",
            "facility": "General Hospital",
            "complications": [],
            "outcome_pattern": "improved_then_recurred",
            "pain_free_months": 8,
        }
    ],
    "symptoms": [
        {
            "symptom": "radiating_leg_pain_or_numbness",
            "onset": "after_surgery",
            "onset_months_after_surgery": 8,
        },
        {"symptom": "stiffness", "onset": "since_surgery_never_resolved"},
    ],
    "pain": {"back_or_neck": 7, "leg_or_arm": 4},
    "odi": {
        "version": "2.1a",
        # Sum 16 of 50: ODI 32% ("moderate").
        "sections": {
            "pain_intensity": 3,
            "personal_care": 1,
            "lifting": 3,
            "walking": 1,
            "sitting": 2,
            "standing": 2,
            "sleeping": 1,
            "sex_life": 1,
            "social_life": 1,
            "travelling": 1,
        },
    },
    "conservative_care": [
        {
            "type": "physical_therapy",
            "start_date": "2023-06",
            "end_date": "2023-09-30",
            "sessions": 12,
            "response": "partial",
        }
    ],
    "medications": [
        {"name": "Tramadol", "drug_class": "opioid analgesic", "opioid": True, "current": True}
    ],
    "reported_findings": [
        {"finding": "annular_tear", "level": "L3-L4", "said_by": "imaging_report"}
    ],
    "red_flags": NO_RED_FLAGS,
    "consent": {"privacy_notice": True},
}

# Cervical fusion at C5-C6/C6-C7 that never helped; the NDI replaces the ODI.
COMPLETE_CERVICAL_ANSWERS: dict[str, Any] = {
    "surgeries": [
        {
            "procedure_type": "fusion",
            "region": "cervical",
            "levels": ["C5-C6", "C6-C7"],
            "instrumented_levels": ["C5-C6", "C6-C7"],
            "surgery_date": "2022-09-12",
            "complications": ["durotomy"],
            "outcome_pattern": "never_improved",
        }
    ],
    "symptoms": [{"symptom": "no_improvement", "onset": "since_surgery_never_resolved"}],
    "pain": {"back_or_neck": 5, "leg_or_arm": 6},
    "ndi": {
        # Raw 20 of 50 ("moderate").
        "items": {
            "pain_intensity": 3,
            "personal_care": 1,
            "lifting": 3,
            "reading": 2,
            "headaches": 2,
            "concentration": 1,
            "work": 3,
            "driving": 2,
            "sleeping": 2,
            "recreation": 1,
        }
    },
    "conservative_care": [],
    "red_flags": NO_RED_FLAGS,
    "consent": {"privacy_notice": True},
}
