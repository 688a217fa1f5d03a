"""Coaching: coach profiles, coachees and their needs, agreements and the session log.

Vocabulary lists (expertise areas, states, languages) are validated JSON lists on the coach: they are read whole
by the matcher and never queried per element. A needs assessment's priorities are rows (`NeedPriority`) so that
the database itself holds "priority 0-3, one per area, area from the vocabulary".
"""


from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from agencies.states import US_STATE_CODES
from core.vocabulary import COACHING_AREA_KEYS, COACHING_AREAS

# The database's outer bounds for an agreement's length. The service enforces calendar months from
# settings.COACHING_AGREEMENT_MIN_MONTHS / MAX_MONTHS (3 and 6 by default); the database holds the widest span
# those months can take: 3 calendar months are at least 89 days (1 Feb -> 1 May in a common year) and 6 calendar
# months at most 184 days (1 Jul -> 1 Jan). Changing the settings beyond 3-6 months needs a migration here too.
AGREEMENT_MIN_DAYS = 89
AGREEMENT_MAX_DAYS = 184

MAX_COACH_CAPACITY = 20
MAX_LIST_ITEMS = 60


class DaysBetween(Func):
    """Whole days from the first date expression to the second, in SQL each backend evaluates natively
    (no Python-registered function, so the CHECK constraint holds for any client of the database)."""

    arity = 2
    output_field = models.IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        (start_sql, start_params), (end_sql, end_params) = (compiler.compile(e) for e in self.get_source_expressions())
        # PostgreSQL: date - date is an integer number of days.
        return f"({end_sql} - {start_sql})", [*end_params, *start_params]

    def as_sqlite(self, compiler, connection, **extra_context):
        (start_sql, start_params), (end_sql, end_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"CAST(julianday({end_sql}) - julianday({start_sql}) AS INTEGER)", [*end_params, *start_params]


def _validate_list(value, *, allowed=None, what="value", max_length=40):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Give a list of strings.")
    if len(value) > MAX_LIST_ITEMS:
        raise ValidationError(f"At most {MAX_LIST_ITEMS} items.")
    if len(set(value)) != len(value):
        raise ValidationError("Each item only once.")
    for item in value:
        if allowed is not None and item not in allowed:
            raise ValidationError(f"Unknown {what} {item!r}.")
        if not item or len(item) > max_length:
            raise ValidationError(f"Each {what} has 1 to {max_length} characters.")


def validate_area_list(value):
    _validate_list(value, allowed=set(COACHING_AREA_KEYS), what="coaching area")


def validate_state_list(value):
    _validate_list(value, allowed=US_STATE_CODES, what="state code")


def validate_language_list(value):
    _validate_list(value, what="language")
    for item in value:
        if not (2 <= len(item) <= 3 and item.isascii() and item.isalpha() and item.islower()):
            raise ValidationError(f"Use lower-case ISO 639 language codes such as 'en' or 'es', not {item!r}.")


def validate_topic_list(value):
    _validate_list(value, what="topic", max_length=100)


# --- coaches ----------------------------------------------------------------------------------------------


class CoachProfile(models.Model):
    """An experienced police leader who coaches. One profile per user with the coach role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coach_profile")
    years_in_leadership = models.PositiveSmallIntegerField()
    highest_rank = models.CharField(max_length=100)
    # The agency they served (coachees from it are excluded as a conflict of interest) when it is in the system;
    # the name is kept as text too, for agencies that are not.
    former_agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="former_coaches")
    former_agency_name = models.CharField(max_length=200, blank=True)
    expertise_areas = models.JSONField(default=list, blank=True, validators=[validate_area_list])
    states = models.JSONField(default=list, blank=True, validators=[validate_state_list])
    languages = models.JSONField(default=list, blank=True, validators=[validate_language_list])
    capacity = models.PositiveSmallIntegerField(default=3, help_text="Maximum coachees at a time (proposed or "
                                                                     "active agreements).")
    active = models.BooleanField(default=True)
    bio = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        constraints = [
            # Years of leadership beyond a working life are a typing error, not a coach.
            models.CheckConstraint(condition=Q(years_in_leadership__lte=60), name="coach_years_plausible"),
            # Capacity is what the matcher and the confirmation lock count against; 0 means "not taking anyone".
            models.CheckConstraint(condition=Q(capacity__lte=MAX_COACH_CAPACITY), name="coach_capacity_range"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


# --- coachees and needs -----------------------------------------------------------------------------------


class CoacheeType(models.TextChoices):
    POLICE_LEADER = "police_leader", "Police leader"
    CITY_MANAGER = "city_manager", "City or county manager"


class Coachee(models.Model):
    coachee_type = models.CharField(max_length=20, choices=CoacheeType.choices)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="coachees")
    # A police leader may be an officer on the agency's roster (then their released 360 can prefill needs).
    officer = models.ForeignKey("agencies.Officer", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="coachee_records")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    title = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(coachee_type__in=CoacheeType.values), name="coachee_type_valid"),
            # City and county managers are not sworn officers: only a police leader links to the roster.
            models.CheckConstraint(condition=Q(officer__isnull=True) | Q(coachee_type=CoacheeType.POLICE_LEADER),
                                   name="coachee_officer_only_for_police_leaders"),
            # One coachee record per officer, so their needs and agreements are not split across duplicates.
            models.UniqueConstraint(fields=["officer"], condition=Q(officer__isnull=False),
                                    name="coachee_one_per_officer"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class NeedsAssessmentStatus(models.TextChoices):
    OPEN = "open", "Open (waiting for a match)"
    MATCHED = "matched", "Matched (an agreement was proposed)"
    WITHDRAWN = "withdrawn", "Withdrawn"


class NeedsAssessment(models.Model):
    coachee = models.ForeignKey(Coachee, on_delete=models.PROTECT, related_name="needs_assessments")
    goals = models.TextField(blank=True, max_length=4000)
    # Constraints on the coach. Languages: the coachee's, preferred first; a coach must share one.
    languages = models.JSONField(default=list, validators=[validate_language_list])
    # States where in-person sessions can happen; unless remote_only, a coach must cover one of them.
    states = models.JSONField(default=list, blank=True, validators=[validate_state_list])
    remote_only = models.BooleanField(default=False)
    # Coaches the coachee (or agency) declared a conflict with: never suggested, never confirmable.
    conflicts = models.ManyToManyField(CoachProfile, blank=True, related_name="declared_conflicts")
    status = models.CharField(max_length=10, choices=NeedsAssessmentStatus.choices,
                              default=NeedsAssessmentStatus.OPEN)
    prefilled_from_360_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NeedsAssessmentStatus.values),
                                   name="needs_assessment_status_valid"),
            # One open request per coachee: the cohort matcher must never give one person two coaches.
            models.UniqueConstraint(fields=["coachee"], condition=Q(status=NeedsAssessmentStatus.OPEN),
                                    name="needs_assessment_one_open_per_coachee"),
        ]

    def __str__(self):
        return f"Needs of {self.coachee} ({self.get_status_display()})"


class NeedPriority(models.Model):
    """How much the coachee needs one area: 0 (not at all) to 3 (most)."""

    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="priorities")
    area = models.CharField(max_length=40, choices=COACHING_AREAS)
    priority = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["assessment_id", "-priority", "area"]
        constraints = [
            # The scale the matcher weighs by; anything else would silently skew every score.
            models.CheckConstraint(condition=Q(priority__gte=0) & Q(priority__lte=3), name="need_priority_0_to_3"),
            models.CheckConstraint(condition=Q(area__in=COACHING_AREA_KEYS), name="need_area_in_vocabulary"),
            models.UniqueConstraint(fields=["assessment", "area"], name="need_one_priority_per_area"),
        ]

    def __str__(self):
        return f"{self.area}={self.priority}"


# --- agreements -------------------------------------------------------------------------------------------


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (waiting for both parties)"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    TERMINATED = "terminated", "Terminated"


RUNNING_AGREEMENT_STATUSES = (AgreementStatus.PROPOSED, AgreementStatus.ACTIVE)


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class Agreement(models.Model):
    coach = models.ForeignKey(CoachProfile, on_delete=models.PROTECT, related_name="agreements")
    coachee = models.ForeignKey(Coachee, on_delete=models.PROTECT, related_name="agreements")
    sponsor_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                                       related_name="sponsored_coaching_agreements")
    needs_assessment = models.ForeignKey(NeedsAssessment, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="agreements")
    start_date = models.DateField()
    end_date = models.DateField()
    goals = models.TextField(blank=True, max_length=4000)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.BIWEEKLY)
    confidentiality_terms = models.TextField(max_length=4000)
    status = models.CharField(max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    coach_accepted_at = models.DateTimeField(null=True, blank=True)
    sponsor_accepted_at = models.DateTimeField(null=True, blank=True)
    sponsor_accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    termination_reason = models.TextField(blank=True, max_length=2000)
    coach_outcome_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    sponsor_outcome_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    # 360 cycles by id, not foreign key: coaching must not depend on evaluations' models (it uses its services).
    baseline_cycle_id = models.BigIntegerField(null=True, blank=True,
                                               help_text="The released 360 cycle whose rater groups a follow-up "
                                                         "mini-360 reuses.")
    follow_up_cycle_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="agreement_status_valid"),
            # 3 to 6 months (see AGREEMENT_MIN_DAYS): the database refuses a shorter or longer agreement whatever
            # wrote it.
            models.CheckConstraint(
                condition=GreaterThanOrEqual(DaysBetween(F("start_date"), F("end_date")), AGREEMENT_MIN_DAYS)
                & LessThanOrEqual(DaysBetween(F("start_date"), F("end_date")), AGREEMENT_MAX_DAYS),
                name="agreement_length_3_to_6_months",
            ),
            # A coachee has at most one running (proposed or active) agreement: the cohort and the capacity count
            # assume one coach per coachee.
            models.UniqueConstraint(fields=["coachee"], condition=Q(status__in=RUNNING_AGREEMENT_STATUSES),
                                    name="agreement_one_running_per_coachee"),
            # Outcome ratings are a 1-5 scale and only exist for a completed agreement.
            models.CheckConstraint(condition=Q(coach_outcome_rating__isnull=True)
                                   | Q(coach_outcome_rating__gte=1, coach_outcome_rating__lte=5),
                                   name="agreement_coach_rating_1_to_5"),
            models.CheckConstraint(condition=Q(sponsor_outcome_rating__isnull=True)
                                   | Q(sponsor_outcome_rating__gte=1, sponsor_outcome_rating__lte=5),
                                   name="agreement_sponsor_rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(status=AgreementStatus.COMPLETED)
                | Q(coach_outcome_rating__isnull=True, sponsor_outcome_rating__isnull=True),
                name="agreement_ratings_only_when_completed",
            ),
            # Active means both parties accepted.
            models.CheckConstraint(
                condition=~Q(status=AgreementStatus.ACTIVE)
                | Q(coach_accepted_at__isnull=False, sponsor_accepted_at__isnull=False),
                name="agreement_active_needs_both_acceptances",
            ),
            # A terminated agreement says why.
            models.CheckConstraint(condition=~Q(status=AgreementStatus.TERMINATED) | ~Q(termination_reason=""),
                                   name="agreement_termination_has_reason"),
        ]
        indexes = [models.Index(fields=["coach", "status"], name="agreement_coach_status_idx")]

    def __str__(self):
        return f"{self.coach} coaching {self.coachee} ({self.status})"


class CoachingSession(models.Model):
    """One entry of an agreement's session log. `private_notes` are the coach's alone: every selector and
    serializer other than the coach's own omits them, and the admin does not show them."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField()
    topics = models.JSONField(default=list, blank=True, validators=[validate_topic_list])
    private_notes = models.TextField(blank=True, max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            # A session lasts between a few minutes and a working day.
            models.CheckConstraint(condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480),
                                   name="coaching_session_duration_range"),
        ]

    def __str__(self):
        return f"Session {self.held_on} ({self.duration_minutes} min)"

