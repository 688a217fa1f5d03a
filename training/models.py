"""Training: the course catalogue, sessions, enrolments, completions (the CE credits) and instructor qualifications.

A `Completion` IS the credit: it carries the CE hours awarded and its verification code. The database guarantees
that an enrolment, and a session, credit an officer at most once.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from agencies.models import state_validator
from agencies.states import US_STATE_CHOICES

# The reference course codes (migration 0002 creates PO-101). Only demo data and the bench use them: certification's
# trained-share rule counts the courses its requirement names as data (ProgrammeRequirement.courses), not a code here.
PEACE_OFFICER_COURSE_CODE = "PO-101"
TRAIN_THE_TRAINER_COURSE_CODE = "PO-TTT"

MAX_CE_HOURS = Decimal("100")


class DeliveryMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"


class CourseKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    TRAIN_THE_TRAINER = "train_the_trainer", "Train-the-trainer"


class Course(models.Model):
    code = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    offered_in_person = models.BooleanField(default=True)
    offered_virtual = models.BooleanField(default=False)
    ce_hours = models.DecimalField(max_digits=5, decimal_places=2,
                                   validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_CE_HOURS)])
    kind = models.CharField(max_length=20, choices=CourseKind.choices, default=CourseKind.STANDARD)
    # For a train-the-trainer course: the course its graduates become qualified to teach.
    qualifies_for = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="trainer_courses")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CourseKind.values), name="course_kind_valid"),
            # CE hours are positive and bounded: a typo of 800 instead of 8.00 must not reach a transcript.
            models.CheckConstraint(condition=Q(ce_hours__gt=0) & Q(ce_hours__lte=MAX_CE_HOURS),
                                   name="course_ce_hours_range"),
            # A course nobody can attend is a data error.
            models.CheckConstraint(condition=Q(offered_in_person=True) | Q(offered_virtual=True),
                                   name="course_has_a_delivery_mode"),
            # Exactly the train-the-trainer courses say which course they qualify instructors for.
            models.CheckConstraint(
                condition=(Q(kind=CourseKind.TRAIN_THE_TRAINER) & Q(qualifies_for__isnull=False))
                | (Q(kind=CourseKind.STANDARD) & Q(qualifies_for__isnull=True)),
                name="course_trainer_course_names_its_target",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def qualifies_for_code(self) -> str | None:
        return self.qualifies_for.code if self.qualifies_for_id else None

    @property
    def delivery_modes(self) -> list[str]:
        return [mode for mode, offered in ((DeliveryMode.IN_PERSON, self.offered_in_person),
                                           (DeliveryMode.VIRTUAL, self.offered_virtual)) if offered]


class CourseStateAccreditation(models.Model):
    """How one state treats a course: accepted or not, for how many hours, under which state course number."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="accreditations")
    state = models.CharField(max_length=2, choices=US_STATE_CHOICES, validators=[state_validator])
    accepted = models.BooleanField(default=True)
    hours_accepted = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    state_course_number = models.CharField(max_length=50, blank=True)
    ncp_recognised = models.BooleanField("IADLEST NCP recognised", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course_id", "state"]
        constraints = [
            # One mapping per course and state: transcripts read exactly one number per state.
            models.UniqueConstraint(fields=["course", "state"], name="accreditation_one_per_course_state"),
            # A state that does not accept the course credits nothing; one that does credits a positive amount.
            models.CheckConstraint(
                condition=(Q(accepted=True) & Q(hours_accepted__gt=0) & Q(hours_accepted__lte=MAX_CE_HOURS))
                | (Q(accepted=False) & Q(hours_accepted=0)),
                name="accreditation_hours_match_acceptance",
            ),
        ]

    def __str__(self):
        return f"{self.course.code} in {self.state}: {self.hours_accepted if self.accepted else 'not accepted'}"


class ToolkitResourceKind(models.TextChoices):
    PRESENTATION = "presentation", "Presentation"
    PRESS_RELEASE_TEMPLATE = "press_release_template", "Press-release template"
    CHECKLIST = "checklist", "Checklist"
    OTHER = "other", "Other"


def toolkit_upload_to(instance, filename):
    # The stored name is generated by the service (random, with a vetted extension); the uploader's name is kept
    # only as data, never as a path.
    return f"toolkit/{filename}"


class ToolkitResource(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=ToolkitResourceKind.choices, default=ToolkitResourceKind.OTHER)
    file = models.FileField(upload_to=toolkit_upload_to, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course_id", "title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ToolkitResourceKind.values), name="toolkit_kind_valid"),
            # Empty files are refused at upload; the database agrees.
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="toolkit_file_not_empty"),
        ]

    def __str__(self):
        return f"{self.course.code}: {self.title}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class TrainingSession(models.Model):
    """One delivery of a course. Times are stored in UTC; `time_zone` is where it happens, for display and dates.
    A cancelled session (services.session_cancel) takes no enrolments and awards no credits."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. America/Los_Angeles.")
    mode = models.CharField(max_length=20, choices=DeliveryMode.choices)
    location = models.CharField(max_length=300, blank=True)
    meeting_url = models.URLField(max_length=500, blank=True)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1000)])
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, through="SessionInstructor",
                                         related_name="taught_sessions")
    # Set only by services.session_cancel through SESSION_LIFECYCLE.
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    cancellation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"], name="training_session_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=DeliveryMode.values), name="session_mode_valid"),
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_valid"),
            # A cancellation is dated and explained.
            models.CheckConstraint(
                condition=Q(status=SessionStatus.SCHEDULED)
                | (Q(cancelled_at__isnull=False) & ~Q(cancellation_reason="")),
                name="session_cancelled_has_reason",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            # A session seats somebody, and not a stadium: capacity bounds the waitlist logic's arithmetic.
            models.CheckConstraint(condition=Q(capacity__gte=1) & Q(capacity__lte=1000), name="session_capacity_range"),
            # Officers must know where to go: a place for in-person sessions, a link for virtual ones.
            models.CheckConstraint(
                condition=(Q(mode=DeliveryMode.IN_PERSON) & ~Q(location=""))
                | (Q(mode=DeliveryMode.VIRTUAL) & ~Q(meeting_url="")),
                name="session_has_place_or_link",
            ),
        ]

    def __str__(self):
        return f"{self.course.code} @ {self.starts_at:%Y-%m-%d %H:%M} UTC"


class SessionInstructor(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="instructor_assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="session_instructor_once"),
        ]

    def __str__(self):
        return f"{self.user} teaches {self.session}"


class EnrollmentStatus(models.TextChoices):
    WAITLISTED = "waitlisted", "Waitlisted"
    ENROLLED = "enrolled", "Enrolled"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Statuses that occupy one of the session's seats.
SEAT_STATUSES = (EnrollmentStatus.ENROLLED, EnrollmentStatus.ATTENDED, EnrollmentStatus.NO_SHOW,
                 EnrollmentStatus.COMPLETED)


class Enrollment(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="enrollments")
    officer = models.ForeignKey("agencies.Officer", on_delete=models.PROTECT, related_name="training_enrollments")
    # Set only by services.enrollment_* through the one transition function.
    status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Waitlist order is first come, first served: creation order (id breaks ties in the same instant).
        ordering = ["session_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_valid"),
            # One live enrolment per officer per session (a cancelled one may be followed by a new one).
            models.UniqueConstraint(fields=["session", "officer"], condition=~Q(status=EnrollmentStatus.CANCELLED),
                                    name="enrollment_one_live_per_officer_session"),
        ]
        indexes = [models.Index(fields=["session", "status"], name="enrollment_session_status_idx")]

    def __str__(self):
        return f"{self.officer} in {self.session}: {self.status}"


class CompletionSource(models.TextChoices):
    SESSION = "session", "Session"
    IMPORT = "import", "Historical import"


class CreditImport(models.Model):
    """One bulk import of historical completions (the audit entry points here)."""

    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    actor_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Credit import #{self.pk} ({self.rows} rows)"


class Completion(models.Model):
    """A completed course: the officer's CE credit and the certificate's content."""

    officer = models.ForeignKey("agencies.Officer", on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    session = models.ForeignKey(TrainingSession, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="completions")
    # One credit per enrolment, held by the database (OneToOne = unique), not by a check in Python.
    enrollment = models.OneToOneField(Enrollment, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="completion")
    credit_import = models.ForeignKey(CreditImport, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="completions")
    source = models.CharField(max_length=10, choices=CompletionSource.choices)
    completed_on = models.DateField()
    ce_hours = models.DecimalField(max_digits=5, decimal_places=2)
    verification_code = models.CharField(max_length=24, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [
            models.Index(fields=["officer", "completed_on"], name="completion_officer_date_idx"),
            models.Index(fields=["completed_on"], name="completion_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=CompletionSource.values), name="completion_source_valid"),
            models.CheckConstraint(condition=Q(ce_hours__gt=0) & Q(ce_hours__lte=MAX_CE_HOURS),
                                   name="completion_ce_hours_range"),
            # A session completion comes from an enrolment in that session; an imported one from an import batch.
            models.CheckConstraint(
                condition=(Q(source=CompletionSource.SESSION) & Q(enrollment__isnull=False) & Q(session__isnull=False)
                           & Q(credit_import__isnull=True))
                | (Q(source=CompletionSource.IMPORT) & Q(enrollment__isnull=True) & Q(session__isnull=True)
                   & Q(credit_import__isnull=False)),
                name="completion_source_matches_origin",
            ),
            # Never twice for the same session, even across a cancel-and-re-enrol.
            models.UniqueConstraint(fields=["officer", "session"], condition=Q(session__isnull=False),
                                    name="completion_once_per_officer_session"),
            # The same course on the same day is one credit: re-importing a history file cannot double it.
            models.UniqueConstraint(fields=["officer", "course", "completed_on"],
                                    name="completion_once_per_officer_course_day"),
        ]

    def __str__(self):
        return f"{self.officer} completed {self.course.code} on {self.completed_on}"


class QualificationSource(models.TextChoices):
    DESIGNATED = "designated", "Designated by staff"
    TRAINER_GRADUATE = "trainer_graduate", "Train-the-trainer graduate"


class InstructorAccount(models.Model):
    """Links an instructor's login to the officer record whose train-the-trainer completions qualify them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instructor_account")
    officer = models.OneToOneField("agencies.Officer", on_delete=models.PROTECT, related_name="instructor_account")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} is {self.officer}"


class InstructorQualification(models.Model):
    """Who may teach a course, from when until when. Staff designate a user; a train-the-trainer completion
    qualifies its officer (and, through `InstructorAccount`, that officer's login)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="instructor_qualifications")
    source = models.CharField(max_length=20, choices=QualificationSource.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="instructor_qualifications")
    officer = models.ForeignKey("agencies.Officer", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="instructor_qualifications")
    completion = models.OneToOneField(Completion, null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="instructor_qualification")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: no end date.")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=QualificationSource.values),
                                   name="qualification_source_valid"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                                   name="qualification_ends_after_start"),
            # Staff designate a login; a graduate's qualification comes from exactly one completion (OneToOne: the
            # same completion never grants twice) and always expires.
            models.CheckConstraint(
                condition=(Q(source=QualificationSource.DESIGNATED) & Q(user__isnull=False)
                           & Q(completion__isnull=True))
                | (Q(source=QualificationSource.TRAINER_GRADUATE) & Q(officer__isnull=False)
                   & Q(completion__isnull=False) & Q(valid_until__isnull=False)),
                name="qualification_source_matches_holder",
            ),
        ]

    def __str__(self):
        holder = self.user or self.officer
        return f"{holder} may teach {self.course.code} from {self.valid_from}"
