from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from .states import US_STATE_CHOICES

state_validator = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter upper-case state code, e.g. CA.")


class Role(models.TextChoices):
    NONE = "", "No role"
    CERTIFICATION_STAFF = "staff", "Certification staff"
    AGENCY_ADMIN = "agency_admin", "Agency administrator"
    INSTRUCTOR = "instructor", "Instructor"
    COACH = "coach", "Coach"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.NONE, blank=True)
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="administrators"
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
        ]

    @property
    def is_certification_staff(self) -> bool:
        return self.is_superuser or self.role == Role.CERTIFICATION_STAFF

    @property
    def is_agency_admin(self) -> bool:
        return self.role == Role.AGENCY_ADMIN and self.agency_id is not None

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
