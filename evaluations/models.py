"""360 evaluations: instruments, cycles, invitations, anonymous responses, reports.

Anonymity is a property of the schema, not of the code that reads it: a pooled response (`FeedbackResponse`,
its `ItemScore`s and `OpenTextAnswer`s) carries the cycle and the rater's relationship group only. There is no
foreign key, timestamp or sequential id that could join it back to the `Invitation` (which knows the rater): the
response tables use random UUID keys. A submitted answer set is held on its invitation (`held_answers`) until the
cycle closes; closing writes every held set of the cycle to the response tables in one transaction, in random
order, and erases the held copies in that same transaction, so neither row order, id order nor the PostgreSQL
transaction id (`xmin`) reveals who submitted what or when.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.vocabulary import COMPETENCIES, COMPETENCY_KEYS


class Relationship(models.TextChoices):
    SELF = "self", "Self"
    SUPERVISOR = "supervisor", "Supervisor"
    PEER = "peer", "Peer"
    DIRECT_REPORT = "direct_report", "Direct report"
    COMMUNITY = "community", "Community member or partner"


# Groups whose members are anonymous to the subject and the agency: they need the anonymity minimum (settings).
ANONYMOUS_GROUPS = (Relationship.PEER, Relationship.DIRECT_REPORT, Relationship.COMMUNITY)
# The groups that make up "others" (everyone but the subject).
OTHER_GROUPS = (Relationship.SUPERVISOR, *ANONYMOUS_GROUPS)


class Instrument(models.Model):
    """A versioned questionnaire. Frozen (`frozen_at`) once a cycle uses it; editing it then makes a new version."""

    key = models.SlugField(max_length=80, help_text="Names the instrument family; versions share it.")
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            # One row per version of an instrument family: "version 3 of X" must mean one questionnaire.
            models.UniqueConstraint(fields=["key", "version"], name="evaluations_instrument_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="evaluations_instrument_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"


class Competency(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="competencies")
    key = models.CharField(max_length=50, choices=COMPETENCIES)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "position", "id"]
        verbose_name_plural = "competencies"
        constraints = [
            # Keys come from the shared vocabulary: coaching matches development areas to coach expertise by key.
            models.CheckConstraint(condition=Q(key__in=COMPETENCY_KEYS), name="evaluations_competency_key_known"),
            # A competency appears once per instrument, or its scores would be split across two rows.
            models.UniqueConstraint(fields=["instrument", "key"], name="evaluations_competency_once_per_instrument"),
        ]

    def __str__(self):
        return self.get_key_display()

    @property
    def label(self) -> str:
        return self.get_key_display()


class Item(models.Model):
    """A behaviour rated 1-5 or "not observed" (stored as no score)."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["competency__position", "position", "id"]

    def __str__(self):
        return self.text


class Question(models.Model):
    """An open-text question ("What should this person keep doing?")."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "position", "id"]

    def __str__(self):
        return self.text


class CycleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    REPORT_READY = "report_ready", "Report ready"
    RELEASED = "released", "Released"


class RatersStatus(models.TextChoices):
    """Certification staff review the rater list before a cycle opens: the sponsor is an interested party and could
    otherwise fill an anonymous group with addresses of their own and compute the real raters' answers."""

    NEEDS_APPROVAL = "needs_approval", "Needs approval"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class Cycle(models.Model):
    subject = models.ForeignKey("agencies.Officer", on_delete=models.PROTECT, related_name="evaluation_cycles")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="evaluation_cycles",
                               help_text="The sponsoring agency: it runs the cycle and receives the released report.")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="cycles")
    target_position = models.CharField(max_length=200)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=CycleStatus.choices, default=CycleStatus.DRAFT)
    min_self = models.PositiveSmallIntegerField(default=1)
    min_supervisor = models.PositiveSmallIntegerField(default=1)
    min_peer = models.PositiveSmallIntegerField(default=3)
    min_direct_report = models.PositiveSmallIntegerField(default=3)
    min_community = models.PositiveSmallIntegerField(default=3)
    follow_up_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="follow_ups")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    report_ready_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # Rater-list review by certification staff. Every change of the list by the sponsor bumps `raters_version` and
    # puts the list back to needs_approval; staff approve the version they read (compare-and-swap on both).
    raters_status = models.CharField(max_length=20, choices=RatersStatus.choices, default=RatersStatus.NEEDS_APPROVAL)
    raters_version = models.PositiveIntegerField(default=0)
    raters_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+")
    raters_reviewed_at = models.DateTimeField(null=True, blank=True)
    raters_refusal_reason = models.TextField(blank=True)
    # Whether the released report is shown to its subject too (issue #18: the officer's own account). Set when the
    # cycle is created; the subject never sees who said what (the report holds only anonymised groups).
    release_to_subject = models.BooleanField(
        default=True, help_text="Show the released report to the evaluated officer too (never who said what).")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CycleStatus.values), name="evaluations_cycle_status_valid"),
            models.CheckConstraint(condition=Q(raters_status__in=RatersStatus.values),
                                   name="evaluations_cycle_raters_status_valid"),
            # One open cycle per subject: two parallel cycles would let a sponsor compare two reports whose rater
            # sets differ by one person and so read that person's answers.
            models.UniqueConstraint(fields=["subject"], condition=Q(status="open"),
                                    name="evaluations_cycle_one_open_per_subject"),
            # A window that closes before it opens would accept no feedback and close at once.
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                   name="evaluations_cycle_closes_after_opening"),
            # Every group needs at least one response to be shown; the anonymous groups' higher floor
            # (EVALUATION_ANONYMOUS_GROUP_MINIMUM) is a setting, so the service enforces it, not the schema.
            models.CheckConstraint(
                condition=Q(min_self__gte=1, min_supervisor__gte=1, min_peer__gte=1, min_direct_report__gte=1,
                            min_community__gte=1),
                name="evaluations_cycle_group_minimums_positive",
            ),
            # The anonymity floor holds for every client (admin, raw SQL, a sponsor's crafted request): no
            # anonymous group is ever shown with fewer than 3 responses, and the self-rating is one response. The
            # setting may raise the floor (the service enforces that); nothing may lower it below this.
            models.CheckConstraint(
                condition=Q(min_self=1, min_peer__gte=3, min_direct_report__gte=3, min_community__gte=3),
                name="evaluations_cycle_anonymity_floor",
            ),
        ]
        indexes = [
            # The beat sweep looks for open cycles past their deadline every few minutes.
            models.Index(fields=["status", "closes_at"], name="evaluations_cycle_due_idx"),
        ]

    def __str__(self):
        return f"360 for {self.subject} ({self.get_status_display()})"

    def group_minimum(self, relationship: str) -> int:
        return getattr(self, f"min_{relationship}")

    @property
    def group_minimums(self) -> dict[str, int]:
        return {r: self.group_minimum(r) for r in Relationship.values}


class PipelineStepName(models.TextChoices):
    AGGREGATE = "aggregate", "Aggregate scores"
    SUMMARISE = "summarise", "Summarise"
    RENDER = "render", "Render PDF"
    NOTIFY = "notify", "Notify"


PIPELINE_ORDER = [PipelineStepName.AGGREGATE, PipelineStepName.SUMMARISE, PipelineStepName.RENDER,
                  PipelineStepName.NOTIFY]


class PipelineStep(models.Model):
    """One step of the close -> report pipeline: a worker claims it (started_at) and finishes it (finished_at)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="pipeline_steps")
    name = models.CharField(max_length=20, choices=PipelineStepName.choices)
    position = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task id that claimed the step. A task redelivered after its worker died carries the same id and
    # may claim the step again at once (instead of waiting for the claim to go stale).
    claimed_by_task = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["cycle", "position"]
        constraints = [
            # A step exists once per cycle: claiming it is a conditional update of this one row.
            models.UniqueConstraint(fields=["cycle", "name"], name="evaluations_pipeline_step_once"),
            models.CheckConstraint(condition=Q(name__in=PipelineStepName.values),
                                   name="evaluations_pipeline_step_name_valid"),
            # Finished implies started.
            models.CheckConstraint(condition=Q(finished_at__isnull=True) | Q(started_at__isnull=False),
                                   name="evaluations_pipeline_step_finished_after_start"),
        ]

    def __str__(self):
        return f"{self.cycle_id}:{self.name}"


class Invitation(models.Model):
    """One rater's secret link. The token itself is never stored: only its SHA-256 (and that of the link in the
    latest reminder, so both e-mails work). The draft lives here until submission, then is erased."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="invitations")
    rater_name = models.CharField(max_length=200)
    rater_email = models.EmailField()
    # The address as a mailbox: lower-case, without a +tag, without dots for Gmail (evaluations/raters.py).
    rater_email_normalized = models.CharField(max_length=254)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    # Refused by certification staff (with the reason): never sent (its link, if any, is dead), never counted.
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    reminder_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(null=True, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The submitted answers, held here until the cycle closes and pools them (see the module docstring).
    held_answers = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cycle", "relationship", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(relationship__in=Relationship.values),
                                   name="evaluations_invitation_relationship_valid"),
            # One link per person per cycle: two links would let one person count twice toward a group minimum.
            models.UniqueConstraint(fields=["cycle", "rater_email"], name="evaluations_invitation_email_once"),
            # ... and the same mailbox written differently (Case, a+tag@, d.o.t.s@gmail) is the same person.
            models.UniqueConstraint(fields=["cycle", "rater_email_normalized"],
                                    name="evaluations_invitation_mailbox_once"),
            # Answers are held only for a submitted invitation.
            models.CheckConstraint(condition=Q(held_answers__isnull=True) | Q(submitted_at__isnull=False),
                                   name="evaluations_invitation_held_only_after_submit"),
            # The subject rates themself once.
            models.UniqueConstraint(fields=["cycle"], condition=Q(relationship="self"),
                                    name="evaluations_invitation_one_self"),
            # A submitted invitation keeps no draft: answers must not stay next to the rater's identity.
            models.CheckConstraint(condition=Q(submitted_at__isnull=True) | Q(draft__isnull=True),
                                   name="evaluations_invitation_no_draft_after_submit"),
        ]

    def __str__(self):
        return f"{self.rater_name} ({self.get_relationship_display()}) for cycle {self.cycle_id}"


class InvitationReminder(models.Model):
    """A reminder sent for an invitation at one of the configured hours before close. Unique: each is sent once."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="reminders")
    hours_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            # The claim for "send the 24-hour reminder" is this insert: a second sweep cannot send it again.
            models.UniqueConstraint(fields=["invitation", "hours_before"], name="evaluations_reminder_once"),
        ]

    def __str__(self):
        return f"{self.hours_before} h reminder for invitation {self.invitation_id}"


class FeedbackResponse(models.Model):
    """A submitted questionnaire. Deliberately no link to the invitation or rater, no timestamp, random key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="responses")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)

    class Meta:
        ordering = ["cycle", "relationship"]
        constraints = [
            models.CheckConstraint(condition=Q(relationship__in=Relationship.values),
                                   name="evaluations_response_relationship_valid"),
        ]

    def __str__(self):
        return f"{self.get_relationship_display()} response in cycle {self.cycle_id}"


class ItemScore(models.Model):
    """One rating. `score` NULL = "not observed". Cycle and relationship are copied from the response so that the
    report's GROUP BY reads one table."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(FeedbackResponse, on_delete=models.CASCADE, related_name="scores")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # The Likert scale is 1-5; anything else would skew every mean it touches.
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                                   name="evaluations_item_score_likert_range"),
            # One rating per item per response.
            models.UniqueConstraint(fields=["response", "item"], name="evaluations_item_score_once"),
        ]
        indexes = [models.Index(fields=["cycle", "relationship"], name="evaluations_score_cycle_idx")]

    def __str__(self):
        return f"item {self.item_id}: {self.score or 'not observed'}"


class OpenTextAnswer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(FeedbackResponse, on_delete=models.CASCADE, related_name="answers")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=4000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="evaluations_answer_once"),
            # Blank answers are simply not stored.
            models.CheckConstraint(condition=~Q(text=""), name="evaluations_answer_not_blank"),
        ]

    def __str__(self):
        return f"answer to question {self.question_id}"


class ReadinessBand(models.TextChoices):
    READY_NOW = "ready_now", "Ready now"
    READY_1_2_YEARS = "ready_1_2_years", "Ready in 1-2 years"
    DEVELOPMENT_NEEDED = "development_needed", "Development needed"


class Summariser(models.TextChoices):
    LLM = "llm", "Language model (AI-assisted)"
    BUILTIN = "builtin", "Built-in deterministic summariser"


class Report(models.Model):
    """The promotability report of a cycle. `content` holds only what passed the anonymity rules."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="report")
    content = models.JSONField(default=dict)
    eligibility = models.JSONField(default=dict)
    development_areas = models.JSONField(default=list)
    band_computed = models.CharField(max_length=30, choices=ReadinessBand.choices)
    band_final = models.CharField(max_length=30, choices=ReadinessBand.choices, blank=True)
    band_override_reason = models.TextField(blank=True)
    summary = models.JSONField(null=True, blank=True)
    summariser = models.CharField(max_length=10, choices=Summariser.choices, blank=True)
    llm_model = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=50, blank=True)
    input_hash = models.CharField(max_length=64, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # Why the built-in summariser wrote the summary, as "<category>: <our own words and counts>" (categories:
    # not_configured, too_few_comments, rejected, failed, deadline); never text from the model or its server.
    llm_error = models.TextField(blank=True)
    # The staff review before release: who edited the narrative/themes or replaced them with the built-in summary,
    # when, and which fields (the before/after texts are in the audit ledger).
    review = models.JSONField(default=dict, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(band_computed__in=ReadinessBand.values),
                                   name="evaluations_report_band_valid"),
            models.CheckConstraint(condition=Q(band_final="") | Q(band_final__in=ReadinessBand.values),
                                   name="evaluations_report_final_band_valid"),
            # A released report names its reviewer and has a final band: sign-off is never anonymous.
            models.CheckConstraint(
                condition=Q(released_at__isnull=True)
                | (Q(released_by__isnull=False) & ~Q(band_final="")),
                name="evaluations_report_release_signed",
            ),
            # An override of the computed band must carry its written reason.
            models.CheckConstraint(
                condition=Q(band_final="") | Q(band_final=models.F("band_computed")) | ~Q(band_override_reason=""),
                name="evaluations_report_override_has_reason",
            ),
        ]

    def __str__(self):
        return f"Report for cycle {self.cycle_id}"
