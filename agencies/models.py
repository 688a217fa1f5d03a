from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Replace, Upper

from .states import US_STATE_CHOICES

state_validator = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter upper-case state code, e.g. CA.")


class Role(models.TextChoices):
    NONE = "", "No role"
    CERTIFICATION_STAFF = "staff", "Certification staff"
    AGENCY_ADMIN = "agency_admin", "Agency administrator"
    INSTRUCTOR = "instructor", "Instructor"
    COACH = "coach", "Coach"
    OFFICER = "officer", "Officer"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.NONE, blank=True)
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="administrators"
    )
    # An officer's own login follows the person, not the agency: it is tied to the officer record (which moves
    # between agencies), never to an agency.
    officer = models.OneToOneField(
        "agencies.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    # Bumped by "log out everywhere": every token carries a fingerprint of it (and of the password hash).
    session_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            # An agency administrator administers exactly one agency; nobody else is tied to one.
            models.CheckConstraint(
                condition=(Q(role=Role.AGENCY_ADMIN) & Q(agency__isnull=False))
                | (~Q(role=Role.AGENCY_ADMIN) & Q(agency__isnull=True)),
                name="user_agency_iff_agency_admin",
            ),
            # An officer account is linked to exactly one officer record; no other role is.
            models.CheckConstraint(
                condition=(Q(role=Role.OFFICER) & Q(officer__isnull=False))
                | (~Q(role=Role.OFFICER) & Q(officer__isnull=True)),
                name="user_officer_iff_officer_role",
            ),
        ]

    @property
    def is_certification_staff(self) -> bool:
        return self.is_superuser or self.role == Role.CERTIFICATION_STAFF

    @property
    def is_agency_admin(self) -> bool:
        return self.role == Role.AGENCY_ADMIN and self.agency_id is not None

    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER and self.officer_id is not None

    @property
    def effective_role(self) -> str:
        return Role.CERTIFICATION_STAFF if self.is_certification_staff else self.role


class AgencyType(models.TextChoices):
    POLICE = "police", "Police department"
    SHERIFF = "sheriff", "Sheriff's office"
    OTHER = "other", "Other"


class Agency(models.Model):
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, choices=US_STATE_CHOICES, validators=[state_validator])
    county = models.CharField(max_length=100, blank=True)
    agency_type = models.CharField(max_length=10, choices=AgencyType.choices, default=AgencyType.POLICE)
    sworn_headcount = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["state", "name"], name="agency_name_unique_per_state"),
            models.CheckConstraint(condition=Q(agency_type__in=AgencyType.values), name="agency_type_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.state})"


class Officer(models.Model):
    """A sworn officer. Belongs to one agency at a time; `EmploymentRecord` keeps where they served."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # The licensing state: licence numbers are issued by states and only unique within one.
    state = models.CharField(max_length=2, choices=US_STATE_CHOICES, validators=[state_validator])
    license_number = models.CharField(max_length=50)
    rank = models.CharField(max_length=100, blank=True)
    hire_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    # Only for recognising the same person under another record (never public, never exported).
    date_of_birth = models.DateField(null=True, blank=True)
    # Staff's finding that two records describe one person (e.g. re-hired under a new licence). Linking carries
    # permanent ineligibility across: what the registry says follows the person, not the record.
    same_person_as = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Set when an excessive-force finding against the officer is verified. Permanent: on PostgreSQL a trigger
    # refuses to clear or change it once set, and certification refuses any active certification for them.
    permanently_ineligible_at = models.DateTimeField(null=True, blank=True)
    ineligibility_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["state", "license_number"], name="officer_license_unique_per_state"),
        ]
        indexes = [
            # Public registry and staff search look officers up by name.
            models.Index(fields=["last_name", "first_name"], name="officer_name_idx"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.state} {self.license_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# What makes two spellings one licence: upper case, without hyphens, spaces, dots, slashes or underscores. The same
# rule is written in SQL in the licence triggers (migration 0004) and in Python below; a test holds them together.
LICENSE_KEY_SEPARATORS = ("-", " ", ".", "/", "_")


def license_key(number: str) -> str:
    for separator in LICENSE_KEY_SEPARATORS:
        number = number.replace(separator, "")
    return number.upper()


def license_key_expression(field: str):
    expression = models.F(field)
    for separator in LICENSE_KEY_SEPARATORS:
        expression = Replace(expression, models.Value(separator), models.Value(""))
    return Upper(expression)


class OfficerLicense(models.Model):
    """Every licence (state + number) an officer record has held, with when and who recorded it.

    Identity is history: a licence, once recorded, belongs to that record for good (a database constraint and a
    trigger on officers hold it), so a decertified licence can never be attached to a fresh record and every public
    answer can match any licence the person ever held. The one exception is a number staff mark as recorded in
    error (a typo that was someone else's number); that is refused for a permanently ineligible officer."""

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="licenses")
    state = models.CharField(max_length=2, choices=US_STATE_CHOICES, validators=[state_validator])
    license_number = models.CharField(max_length=50)
    # The licence as compared: "ca 100-201" and "CA-100201" are one licence, so a respelling cannot pass as new.
    license_key = models.GeneratedField(expression=license_key_expression("license_number"),
                                        output_field=models.CharField(max_length=50), db_persist=True)
    held_from = models.DateTimeField()
    held_until = models.DateTimeField(null=True, blank=True)
    recorded_in_error = models.BooleanField(default=False)
    recorded_by = models.CharField(max_length=150, help_text="The user or system job that recorded the change.")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-held_from", "-id"]
        constraints = [
            # A licence belongs to one officer record for ever (unless staff marked it recorded in error).
            models.UniqueConstraint(fields=["state", "license_key"], condition=Q(recorded_in_error=False),
                                    name="license_held_by_one_officer"),
            # The current licence is the one row still open.
            models.UniqueConstraint(fields=["officer"], condition=Q(held_until__isnull=True),
                                    name="one_current_license_per_officer"),
        ]
        indexes = [
            # Public lookups by licence alone (the registry search box); state + key has the unique index.
            models.Index(fields=["license_key"], name="officer_license_key_idx"),
        ]

    def __str__(self):
        return f"{self.state} {self.license_number}"


class IdentityReviewStatus(models.TextChoices):
    PENDING = "pending", "Waiting for staff"
    LINKED = "linked", "Same person: linked (inherits permanent ineligibility)"
    CLEARED = "cleared", "Different person: record created"
    DISMISSED = "dismissed", "Dismissed without a record"


class IdentityReview(models.Model):
    """A new officer record that looks like a permanently ineligible person (same name and date of birth, in any
    state or agency). Agency administrators are refused; the proposed record waits here for staff to decide."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="identity_reviews")
    matched_officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="identity_reviews")
    state = models.CharField(max_length=2)
    license_number = models.CharField(max_length=50)
    proposed = models.JSONField(help_text="The officer record as the agency submitted it.")
    source = models.CharField(max_length=30, help_text="api, roster_import, ...")
    requested_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=IdentityReviewStatus.choices,
                              default=IdentityReviewStatus.PENDING)
    decided_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    officer = models.ForeignKey(Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text="The record created by the decision.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=IdentityReviewStatus.values),
                                   name="identity_review_status_valid"),
            # Retrying the same refused create does not fill the queue: one pending review per licence and match.
            models.UniqueConstraint(fields=["matched_officer", "state", "license_number"],
                                    condition=Q(status=IdentityReviewStatus.PENDING),
                                    name="one_pending_identity_review"),
            # A decision names who made it and why.
            models.CheckConstraint(
                condition=Q(status=IdentityReviewStatus.PENDING)
                | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="identity_review_decided_with_reason",
            ),
        ]

    def __str__(self):
        name = f"{self.proposed.get('first_name', '')} {self.proposed.get('last_name', '')}"
        return f"{name} ({self.state} {self.license_number}) — {self.get_status_display()}"


class EmploymentRecord(models.Model):
    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="employment_history")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="employment_records")
    rank = models.CharField(max_length=100, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            # An officer serves one agency at a time: at most one open employment.
            models.UniqueConstraint(
                fields=["officer"], condition=Q(ended_on__isnull=True), name="one_open_employment_per_officer"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="employment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.officer} at {self.agency} from {self.started_on}"
