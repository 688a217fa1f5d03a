"""Certification data: agency certification programmes and their checklists, agency certifications and plaques,
the officers' Good Officer Certification, and excessive-force findings with their due process.

Models hold data and constraints only. Every status moves through one transition function per lifecycle
(certification/services/); the constraints below are the database's share of the rules.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

# --- programmes and their requirement checklists -----------------------------------------------------------

class CertificationProgramme(models.Model):
    """An agency certification programme, e.g. "Peace Officer Agency Certification"."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class RequirementKind(models.TextChoices):
    DOCUMENT = "document", "Document (uploaded by the agency, reviewed by staff)"
    ATTESTATION = "attestation", "Attestation (signed statement by the agency)"
    COMPUTED = "computed", "Computed from training records"
    STAFF_VERIFIED = "staff_verified", "Verified by certification staff"


class ComputedRule(models.TextChoices):
    NONE = "", "None"
    # >= settings.AGENCY_TRAINED_SHARE_PERCENT % of sworn officers completed any of the requirement's `courses`.
    TRAINED_SHARE = "trained_share", "Share of sworn officers who completed the Peace Officer course"


class ProgrammeRequirement(models.Model):
    """One item of a programme's checklist. Staff maintain it; applications snapshot the active items."""

    programme = models.ForeignKey(CertificationProgramme, on_delete=models.CASCADE, related_name="requirements")
    code = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=RequirementKind.choices)
    computed_rule = models.CharField(max_length=30, choices=ComputedRule.choices, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # The trained-share rule counts officers who completed any of these courses (data staff change, not a code in
    # the source); the reference programme names the Peace Officer course (migration 0005).
    courses = models.ManyToManyField("training.Course", blank=True, related_name="programme_requirements",
                                     help_text="Trained-share rule: an officer counts after completing any of these.")

    class Meta:
        ordering = ["programme_id", "position", "id"]
        constraints = [
            # The code names the item in API errors ("unmet: chokehold_ban"): unique within its programme.
            models.UniqueConstraint(fields=["programme", "code"], name="cert_requirement_code_unique"),
            models.CheckConstraint(condition=Q(kind__in=RequirementKind.values), name="cert_requirement_kind_valid"),
            # A computed item needs a rule to compute, and only computed items have one.
            models.CheckConstraint(
                condition=(Q(kind=RequirementKind.COMPUTED) & Q(computed_rule__in=[ComputedRule.TRAINED_SHARE]))
                | (~Q(kind=RequirementKind.COMPUTED) & Q(computed_rule="")),
                name="cert_requirement_rule_iff_computed",
            ),
        ]

    def __str__(self):
        return f"{self.programme.code}:{self.code}"


# --- agency certification ------------------------------------------------------------------------------------

class AgencyCertificationStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    UNDER_REVIEW = "under_review", "Under review"
    ISSUED = "issued", "Issued"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


AGENCY_CERTIFICATION_OPEN = [AgencyCertificationStatus.APPLIED, AgencyCertificationStatus.UNDER_REVIEW]


class AgencyCertification(models.Model):
    """One application-and-certificate of an agency under a programme. A renewal is a new row (`previous` points
    at the certificate it renews) with a fresh checklist, so each certificate keeps its own evidence."""

    programme = models.ForeignKey(CertificationProgramme, on_delete=models.PROTECT, related_name="certifications")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="certifications")
    status = models.CharField(max_length=20, choices=AgencyCertificationStatus.choices,
                              default=AgencyCertificationStatus.APPLIED)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="renewal")
    # Printed on the plaque and typed into the public verification page; set when issued.
    certificate_number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    applied_at = models.DateTimeField()
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revocation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AgencyCertificationStatus.values),
                                   name="agency_cert_status_valid"),
            # One application in progress per agency and programme: a second "apply" must not fork the review.
            models.UniqueConstraint(fields=["agency", "programme"],
                                    condition=Q(status__in=AGENCY_CERTIFICATION_OPEN),
                                    name="agency_cert_one_open_application"),
            # One valid certificate per agency and programme: issuing a renewal expires the one it renews.
            models.UniqueConstraint(fields=["agency", "programme"],
                                    condition=Q(status=AgencyCertificationStatus.ISSUED),
                                    name="agency_cert_one_issued"),
            # Whatever was issued (issued, expired, or revoked after issue) carries its number and validity.
            models.CheckConstraint(
                condition=~Q(status=AgencyCertificationStatus.ISSUED)
                | (Q(certificate_number__isnull=False) & Q(valid_from__isnull=False) & Q(valid_until__isnull=False)),
                name="agency_cert_issued_has_number_and_dates",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                name="agency_cert_valid_until_after_from",
            ),
            # Revocation is explained: a revoked certificate has its date and reason.
            models.CheckConstraint(
                condition=~Q(status=AgencyCertificationStatus.REVOKED)
                | (Q(revoked_at__isnull=False) & ~Q(revocation_reason="")),
                name="agency_cert_revoked_has_reason",
            ),
        ]
        indexes = [
            # The daily expiry sweep and the reminder job scan issued certificates by their end date.
            models.Index(fields=["status", "valid_until"], name="agency_cert_status_until_idx"),
        ]

    def __str__(self):
        return f"{self.programme.code} for {self.agency} ({self.status})"


class RequirementState(models.TextChoices):
    PENDING = "pending", "Pending"
    SUBMITTED = "submitted", "Submitted for review"
    MET = "met", "Met"
    REJECTED = "rejected", "Rejected"


def requirement_document_path(instance, filename):
    # The service passes a random name with the extension of the type detected from the content (core.uploads);
    # the agency's own file name is kept only as data (document_name).
    return f"certification/requirements/{filename}"


class RequirementStatus(models.Model):
    """Where one checklist item stands for one certification. Computed items are evaluated live when read or
    issued; their stored state stays pending."""

    certification = models.ForeignKey(AgencyCertification, on_delete=models.CASCADE, related_name="requirements")
    requirement = models.ForeignKey(ProgrammeRequirement, on_delete=models.PROTECT, related_name="statuses")
    state = models.CharField(max_length=20, choices=RequirementState.choices, default=RequirementState.PENDING)
    document = models.FileField(upload_to=requirement_document_path, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_name = models.CharField(max_length=200, blank=True)  # the uploader's file name, for downloads
    document_content_type = models.CharField(max_length=100, blank=True)  # detected from the content
    attestation_text = models.TextField(blank=True)
    attested_by_name = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    # Every staff rejection ({"at", "by", "note"}), kept when the agency tries again: a staff decision stands and
    # stays visible, and an item once rejected is met only when staff mark it met.
    rejections = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["certification_id", "requirement__position", "requirement_id"]
        constraints = [
            # One line per checklist item per certification.
            models.UniqueConstraint(fields=["certification", "requirement"], name="cert_requirement_status_unique"),
            models.CheckConstraint(condition=Q(state__in=RequirementState.values),
                                   name="cert_requirement_state_valid"),
        ]

    def __str__(self):
        return f"{self.certification_id}:{self.requirement_id} {self.state}"


class AgencyCertificationReminder(models.Model):
    """An expiry reminder that was sent. The unique pair is the claim: each reminder goes out once."""

    certification = models.ForeignKey(AgencyCertification, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["certification_id", "-days_before"]
        constraints = [
            # Each reminder (90/30/7 days before expiry) is sent at most once, even when two sweeps race.
            models.UniqueConstraint(fields=["certification", "days_before"], name="agency_cert_reminder_once"),
        ]

    def __str__(self):
        return f"{self.days_before}-day reminder for certification {self.certification_id}"


# --- plaques -------------------------------------------------------------------------------------------------

class PlaqueStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    PRINTED = "printed", "Printed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"


class Plaque(models.Model):
    """The physical plaque an issued certification earns, and its fulfilment."""

    certification = models.OneToOneField(AgencyCertification, on_delete=models.PROTECT, related_name="plaque")
    status = models.CharField(max_length=20, choices=PlaqueStatus.choices, default=PlaqueStatus.ORDERED)
    ordered_at = models.DateTimeField()
    due_on = models.DateField()
    printed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    days_taken = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlaqueStatus.values), name="plaque_status_valid"),
            # A shipped plaque can be traced: carrier and tracking number are recorded when it ships.
            models.CheckConstraint(
                condition=~Q(status__in=[PlaqueStatus.SHIPPED, PlaqueStatus.DELIVERED])
                | (~Q(carrier="") & ~Q(tracking_number="")),
                name="plaque_shipped_is_traceable",
            ),
            # The programme promises delivery within two weeks: a delivered plaque records how long it took.
            models.CheckConstraint(
                condition=~Q(status=PlaqueStatus.DELIVERED)
                | (Q(delivered_at__isnull=False) & Q(days_taken__isnull=False)),
                name="plaque_delivered_records_days",
            ),
        ]
        indexes = [
            # "?overdue=true": undelivered plaques past their due date.
            models.Index(fields=["status", "due_on"], name="plaque_status_due_idx"),
        ]

    def __str__(self):
        return f"Plaque for certification {self.certification_id} ({self.status})"


# --- officer certification (Good Officer Certification) ------------------------------------------------------

class OfficerCertificationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LAPSED = "lapsed", "Lapsed"
    REVOKED = "revoked", "Revoked"


class RevocationCategory(models.TextChoices):
    NONE = "", "None"
    SUSTAINED_FINDING = "sustained_excessive_force_finding", "Sustained excessive-force finding"


class OfficerCertification(models.Model):
    """An officer's Good Officer Certification: one record per officer that moves through annual cycles
    (`OfficerCertificationCycle` keeps each one). Revoked is terminal; on PostgreSQL a trigger holds that, and
    refuses an active certification for a permanently ineligible officer, whatever client writes."""

    officer = models.OneToOneField("agencies.Officer", on_delete=models.PROTECT,
                                   related_name="good_officer_certification")
    status = models.CharField(max_length=20, choices=OfficerCertificationStatus.choices,
                              default=OfficerCertificationStatus.ACTIVE)
    cycle_start = models.DateField()
    valid_until = models.DateField()
    granted_at = models.DateTimeField()
    renewed_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_category = models.CharField(max_length=40, choices=RevocationCategory.choices, blank=True,
                                           default="")
    # Indexed only where set (Meta.indexes): a full index would take a NULL entry for every row version the
    # daily sweep writes.
    revoked_by_finding = models.ForeignKey("Finding", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", db_index=False)

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OfficerCertificationStatus.values),
                                   name="officer_cert_status_valid"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("cycle_start")),
                                   name="officer_cert_cycle_ends_after_start"),
            # A revocation carries its date and category (the public registry shows both).
            models.CheckConstraint(
                condition=~Q(status=OfficerCertificationStatus.REVOKED)
                | (Q(revoked_at__isnull=False) & ~Q(revocation_category="")),
                name="officer_cert_revoked_has_date_and_category",
            ),
        ]
        indexes = [
            # The daily lapse sweep (and "expiring within") reads active certifications by cycle end. Partial, so a
            # row the sweep lapses leaves this index instead of taking a new entry: with the finding index below
            # also partial, each lapsed row costs two index insertions (id, officer), not four (1M rows: bench).
            models.Index(fields=["valid_until"], condition=Q(status=OfficerCertificationStatus.ACTIVE),
                         name="officer_cert_active_until_idx"),
            models.Index(fields=["revoked_by_finding"], condition=Q(revoked_by_finding__isnull=False),
                         name="officer_cert_finding_idx"),
        ]

    def __str__(self):
        return f"Good Officer Certification of officer {self.officer_id} ({self.status})"


class OfficerCertificationCycle(models.Model):
    """One annual cycle of an officer's certification, with the CE hours that qualified it."""

    certification = models.ForeignKey(OfficerCertification, on_delete=models.CASCADE, related_name="cycles")
    cycle_start = models.DateField()
    cycle_end = models.DateField()
    ce_hours = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(0)])
    ce_window_start = models.DateField()
    ce_window_end = models.DateField()
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["certification_id", "-cycle_start"]
        constraints = [
            # Cycles never overlap in their start: renewing twice for the same cycle is refused by the database.
            models.UniqueConstraint(fields=["certification", "cycle_start"], name="officer_cert_cycle_unique"),
            models.CheckConstraint(condition=Q(cycle_end__gt=F("cycle_start")), name="officer_cycle_ends_after_start"),
            models.CheckConstraint(condition=Q(ce_hours__gte=0), name="officer_cycle_hours_non_negative"),
        ]

    def __str__(self):
        return f"Cycle {self.cycle_start}..{self.cycle_end} of certification {self.certification_id}"


# --- findings --------------------------------------------------------------------------------------------

class FindingStatus(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    NOTICED = "noticed", "Notice sent"
    RESPONDED = "responded", "Response recorded"
    DETERMINED = "determined", "Determined"
    VERIFIED = "verified", "Verified (two-person rule)"


class Determination(models.TextChoices):
    NONE = "", "Not determined"
    SUSTAINED = "sustained", "Sustained"
    NOT_SUSTAINED = "not_sustained", "Not sustained"
    EXONERATED = "exonerated", "Exonerated"
    UNFOUNDED = "unfounded", "Unfounded"


class FindingSource(models.TextChoices):
    COMPLAINT = "complaint", "Public complaint"
    INTERNAL_AFFAIRS = "internal_affairs", "Internal affairs"
    COURT = "court", "Court or prosecutor"
    OVERSIGHT_BODY = "oversight_body", "Civilian oversight body"
    MEDIA = "media", "Media report"
    OTHER = "other", "Other"


class Finding(models.Model):
    """An excessive-force incident under due process: recorded, noticed (response window), responded,
    determined, and — for a sustained determination — verified by a second staff member."""

    officer = models.ForeignKey("agencies.Officer", on_delete=models.PROTECT, related_name="findings")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="findings")
    incident_date = models.DateField()
    summary = models.TextField()
    evidence_references = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=30, choices=FindingSource.choices)
    status = models.CharField(max_length=20, choices=FindingStatus.choices, default=FindingStatus.RECORDED)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    noticed_at = models.DateTimeField(null=True, blank=True)
    response_due_on = models.DateField(null=True, blank=True)
    response_text = models.TextField(blank=True)
    response_received_at = models.DateTimeField(null=True, blank=True)
    determination = models.CharField(max_length=20, choices=Determination.choices, blank=True, default="")
    determination_reason = models.TextField(blank=True)
    determined_at = models.DateTimeField(null=True, blank=True)
    determined_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=FindingStatus.values), name="finding_status_valid"),
            models.CheckConstraint(condition=Q(source__in=FindingSource.values), name="finding_source_valid"),
            models.CheckConstraint(condition=Q(determination__in=Determination.values),
                                   name="finding_determination_valid"),
            # A determination exists exactly when the finding has been determined (or verified after it).
            models.CheckConstraint(
                condition=(Q(status__in=[FindingStatus.DETERMINED, FindingStatus.VERIFIED]) & ~Q(determination=""))
                | (~Q(status__in=[FindingStatus.DETERMINED, FindingStatus.VERIFIED]) & Q(determination="")),
                name="finding_determination_iff_determined",
            ),
            # Only a sustained determination is verified.
            models.CheckConstraint(
                condition=~Q(status=FindingStatus.VERIFIED)
                | (Q(determination=Determination.SUSTAINED) & Q(verified_by__isnull=False)),
                name="finding_verified_only_if_sustained",
            ),
            # The two-person rule, held by the database too: the verifier neither recorded nor determined it.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | (~Q(verified_by=F("recorded_by")) & ~Q(verified_by=F("determined_by"))),
                name="finding_verifier_is_a_second_person",
            ),
        ]
        indexes = [
            # Eligibility summaries count an officer's findings by status and determination.
            models.Index(fields=["officer", "status"], name="finding_officer_status_idx"),
        ]

    def __str__(self):
        return f"Finding {self.pk} about officer {self.officer_id} ({self.status})"


# --- due process: each party's own answer to a finding (issue #18) -------------------------------------------

class FindingResponseAuthor(models.TextChoices):
    OFFICER = "officer", "The officer"
    AGENCY = "agency", "The agency"


class FindingResponse(models.Model):
    """One party's answer to a noticed finding (the officer's: never shown to the agency); append-only."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="responses")
    author_kind = models.CharField(max_length=10, choices=FindingResponseAuthor.choices)
    text = models.TextField()
    received_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(author_kind__in=FindingResponseAuthor.values),
                                   name="finding_response_author_valid"),
        ]
        indexes = [models.Index(fields=["finding", "author_kind"], name="finding_response_author_idx")]

    def __str__(self):
        return f"Response {self.pk} ({self.author_kind}) to finding {self.finding_id}"


def finding_response_document_path(instance, filename):  # a random name of the detected type (core.uploads)
    return f"certification/finding-responses/{filename}"


class FindingResponseDocument(models.Model):
    response = models.ForeignKey(FindingResponse, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to=finding_response_document_path)
    name = models.CharField(max_length=200)  # the sender's file name, for downloads
    content_type = models.CharField(max_length=100)  # detected from the content
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["response_id", "id"]

    def __str__(self):
        return self.name


class FindingRepresentative(models.Model):
    """Whom the officer names to represent them on one finding; copied on every later notice about it."""

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="representative")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    named_at = models.DateTimeField()
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"{self.name} for finding {self.finding_id}"
