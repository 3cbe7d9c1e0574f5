"""What the patient reads for each answer the questionnaire knows, in the order shown.

The values and their order are the questionnaire's own (`intake.questionnaire`); this
module only adds plain-language labels. A value without a label still shows (as its
name), and a test makes sure none is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from intake import questionnaire as q

_PROCEDURE_TYPES = {
    "discectomy": "Discectomy (disc material removed)",
    "microdiscectomy": "Microdiscectomy",
    "laminectomy": "Laminectomy (bone removed)",
    "laminotomy_foraminotomy": "Laminotomy or foraminotomy",
    "fusion": "Spinal fusion",
    "artificial_disc": "Artificial disc replacement",
    "other": "Other, or not sure",
}
_REGION_LABELS = {
    "cervical": "Neck (cervical)",
    "thoracic": "Upper or middle back (thoracic)",
    "lumbar": "Lower back (lumbar)",
}
_COMPLICATIONS = {
    "infection": "Infection",
    "durotomy": "A tear in the lining around the nerves (dural tear)",
    "wound_problem": "Problems with wound healing",
    "reoperation": "Another operation was needed",
    "new_deficit": "New weakness or numbness after the operation",
}
_OUTCOME_PATTERNS = {
    "never_improved": "The pain never got better after the operation",
    "improved_then_recurred": "The pain got better for a while, then came back",
    "new_pain_different_level": "New pain started in a different part of my spine",
}
_SYMPTOMS = {
    "new_pain_different_level": "New pain in a different part of the spine",
    "no_improvement": "No improvement since the operation",
    "stiffness": "Stiffness",
    "stabbing_pain": "Stabbing pain",
    "radiating_leg_pain_or_numbness": "Pain or numbness spreading down a leg (or arm)",
    "spasms": "Muscle spasms",
    "anxiety_depression_poor_sleep": "Anxiety, low mood or poor sleep",
    "pain_medication_dependence": "Relying on pain medication",
}
_ONSETS = {
    "before_surgery": "Before the operation",
    "since_surgery_never_resolved": "Since the operation, never gone",
    "after_surgery": "Some time after the operation",
}
_CARE_TYPES = {
    "physical_therapy": "Physiotherapy (physical therapy)",
    "chiropractic": "Chiropractic care",
    "epidural_injection": "Epidural steroid injection",
    "facet_injection": "Facet joint injection",
    "si_injection": "Sacroiliac (SI) joint injection",
    "radiofrequency_ablation": "Radiofrequency ablation (nerve ablation)",
    "medication": "A course of medication",
    "psychological_therapy": "Psychological therapy, such as CBT",
}
_CARE_RESPONSES = {
    "none": "It did not help",
    "partial": "It helped a little",
    "good": "It helped a lot",
}
# The medical term first: patients copy it from their report, and a phone's closed
# select shows only the start of the text.
_FINDINGS = {
    "hardware_loosening": "Hardware loosening (loose screws or rods)",
    "hardware_fracture": "Hardware fracture (broken screws or rods)",
    "implant_migration": "Implant migration (an implant has moved)",
    "implant_malposition": "Implant malposition (implant badly placed)",
    "pseudarthrosis": "Pseudarthrosis or non-union (fusion not healed)",
    "retained_fragment": "Retained disc fragment",
    "inadequate_decompression": "Inadequate decompression (nerves still squeezed)",
    "extruded_herniation": "Extruded or non-contained disc herniation",
    "wrong_level": "Surgery at the wrong level",
    "instability": "Instability",
    "spondylolisthesis_above_grade_2": "Spondylolisthesis above grade 2 (a badly slipped vertebra)",
    "severe_stenosis": "Severe stenosis (severe narrowing)",
    "progressive_neurological_deficit": "Progressive neurological deficit (worsening nerve damage)",
    "annular_tear": "Annular tear (a tear in the disc wall)",
    "high_intensity_zone": "High-intensity zone (HIZ)",
    "discogenic_pain": "Discogenic pain (pain from a disc)",
    "epidural_fibrosis": "Epidural fibrosis (scar tissue around the nerves)",
    "arachnoiditis": "Arachnoiditis",
    "facet_pain": "Facet joint pain",
    "si_joint_pain": "Sacroiliac (SI) joint pain",
    "fracture": "Fracture",
    "infection": "Infection",
    "tumour": "Tumour",
    "severe_disc_collapse": "Severe disc collapse",
}
_SAID_BY = {"imaging_report": "An imaging report", "surgeon": "My surgeon"}

_ODI_VERSIONS = {
    "2.1a": "Standard (version 2.1a)",
    "modified": "Modified (asks about work or homemaking instead of sex life)",
}
_ODI_SECTIONS = {
    "pain_intensity": "Pain intensity",
    "personal_care": "Personal care (washing, dressing)",
    "lifting": "Lifting",
    "walking": "Walking",
    "sitting": "Sitting",
    "standing": "Standing",
    "sleeping": "Sleeping",
    "sex_life": "Sex life",
    "employment_homemaking": "Work or homemaking",
    "social_life": "Social life",
    "travelling": "Travelling",
}
_NDI_ITEMS = {
    "pain_intensity": "Pain intensity",
    "personal_care": "Personal care (washing, dressing)",
    "lifting": "Lifting",
    "reading": "Reading",
    "headaches": "Headaches",
    "concentration": "Concentration",
    "work": "Work",
    "driving": "Driving",
    "sleeping": "Sleeping",
    "recreation": "Recreation",
}


def _options(values: Iterable[str], labels: Mapping[str, str]) -> dict[str, str]:
    """value -> label in the questionnaire's order."""
    return {value: labels.get(value, value.replace("_", " ").capitalize()) for value in values}


PROCEDURE_TYPES = _options(q.PROCEDURE_TYPES, _PROCEDURE_TYPES)
REGIONS = _options(q.REGIONS, _REGION_LABELS)
COMPLICATIONS = _options(q.COMPLICATIONS, _COMPLICATIONS)
OUTCOME_PATTERNS = _options(q.OUTCOME_PATTERNS, _OUTCOME_PATTERNS)
SYMPTOMS = _options(q.SYMPTOMS, _SYMPTOMS)
ONSETS = _options(q.ONSETS, _ONSETS)
CARE_TYPES = _options(q.CARE_TYPES, _CARE_TYPES)
CARE_RESPONSES = _options(q.CARE_RESPONSES, _CARE_RESPONSES)
FINDINGS = _options(q.FINDINGS, _FINDINGS)
SAID_BY = _options(q.FINDING_SOURCES, _SAID_BY)
ODI_VERSIONS = _options(q.ODI_VERSIONS, _ODI_VERSIONS)
_ALL_ODI_SECTIONS = dict.fromkeys(n for names in q.ODI_SECTIONS.values() for n in names)
# Every section of either version, each version's own one where it asks it, so the page
# can show both and keep the one the chosen version has.
ODI_SECTIONS = _options(
    sorted(
        _ALL_ODI_SECTIONS,
        key=lambda n: min(names.index(n) for names in q.ODI_SECTIONS.values() if n in names),
    ),
    _ODI_SECTIONS,
)
ODI_SECTIONS_BY_VERSION: Mapping[str, tuple[str, ...]] = q.ODI_SECTIONS
_VERSION_NAMES = {"2.1a": "standard", "modified": "modified"}
ODI_SECTION_HINTS = {
    name: f"Only in the {_VERSION_NAMES.get(version, version)} version"
    for version, names in q.ODI_SECTIONS.items()
    for name in names
    if any(name not in others for others in q.ODI_SECTIONS.values())
}
NDI_ITEMS = _options(q.NDI_ITEMS, _NDI_ITEMS)

# The red-flag questions in the questionnaire's own words, grouped by the tier a yes
# raises on its own: the emergency instruction sits beside its group (DOMAIN.md §6).
EMERGENCY_FLAGS = {x.key: x.question for x in q.RED_FLAG_QUESTIONS if x.tier == "emergency"}
URGENT_FLAGS = {x.key: x.question for x in q.RED_FLAG_QUESTIONS if x.tier != "emergency"}
RED_FLAGS = {x.key: x.question for x in q.RED_FLAG_QUESTIONS}

# The required documents (DOMAIN.md §4) first, then the rest.
DOCUMENT_KINDS = {
    "operative_note": "Operative note (the surgeon's report of each operation)",
    "current_mri": "Your most recent MRI (report, images, or both)",
    "conservative_care_record": "Records of treatment since surgery (physiotherapy or "
    "injection notes, a medication list)",
    "preop_imaging": "Imaging from before the operation",
    "postop_imaging": "Imaging from after the operation (CT or X-ray)",
    "other": "Something else",
}
DOCUMENT_KIND_NAMES = {
    "operative_note": "Operative note",
    "current_mri": "Current MRI",
    "conservative_care_record": "Treatment records",
    "preop_imaging": "Imaging before surgery",
    "postop_imaging": "Imaging after surgery",
    "other": "Other document",
}

# Checkbox options (value -> label) for the disc levels, one group per region.
SEGMENTS_BY_REGION = {
    region: {s: s for s in q.SEGMENTS if q.region_of(s) == region} for region in q.REGIONS
}
SEGMENT_OPTIONS = {s: s for s in q.SEGMENTS}

FIELD_LABELS = {
    "procedure_type": "Type of operation",
    "region": "Part of the spine",
    "levels": "Levels operated on",
    "instrumented_levels": "Levels with implants",
    "surgery_date": "Date of the operation",
    "surgeon": "Surgeon",
    "facility": "Hospital or clinic",
    "complications": "Complications",
    "outcome_pattern": "How the pain changed",
    "pain_free_months": "Months without pain",
    "symptom": "Symptom",
    "onset": "When it started",
    "onset_months_after_surgery": "Months after the operation",
    "back_or_neck": "Back or neck pain",
    "leg_or_arm": "Leg or arm pain",
    "version": "Questionnaire version",
    "type": "Treatment",
    "start_date": "Start date",
    "end_date": "End date",
    "sessions": "Number of sessions",
    "response": "How much it helped",
    "name": "Medicine",
    "drug_class": "Type of medicine",
    "opioid": "Opioid",
    "current": "Taking it now",
    "finding": "What the report or surgeon said",
    "level": "Level",
    "said_by": "Who said so",
    "privacy_notice": "Privacy notice",
}
SECTION_LABELS = {
    "consent": "Consent",
    "surgeries": "Surgery",
    "symptoms": "Symptoms",
    "pain": "Pain",
    "odi": "Low back disability questionnaire",
    "ndi": "Neck disability questionnaire",
    "conservative_care": "Treatment",
    "medications": "Medicine",
    "reported_findings": "Imaging finding",
    "red_flags": "Warning signs",
}
