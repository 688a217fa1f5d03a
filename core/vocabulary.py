"""Shared controlled vocabulary: the 360 competencies (evaluations) double as coaching expertise areas."""

COMPETENCIES = [
    ("community_engagement", "Community engagement"),
    ("de_escalation", "De-escalation"),
    ("cultural_competency", "Cultural competency"),
    ("procedural_justice", "Procedural justice"),
    ("integrity_accountability", "Integrity and accountability"),
    ("communication", "Communication"),
    ("decision_making", "Decision making"),
    ("leadership", "Leadership"),
    ("developing_others", "Developing others"),
]
COMPETENCY_KEYS = [key for key, _ in COMPETENCIES]

# Coaching covers the competencies plus the areas a police leader is coached on beyond them.
COACHING_EXTRA_AREAS = [
    ("crisis_management", "Crisis management"),
    ("organisational_change", "Organisational change"),
    ("budgeting", "Budgeting"),
    ("labour_relations", "Labour relations"),
]
COACHING_AREAS = COMPETENCIES + COACHING_EXTRA_AREAS
COACHING_AREA_KEYS = [key for key, _ in COACHING_AREAS]
