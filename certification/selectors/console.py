"""Reads behind the staff console's CE-hours list (the other "needs action" filters are in `attention`). Each takes
a queryset (already the staff's: the console is staff-only) and narrows or annotates it in SQL, so a changelist's
query count does not grow with its page size."""

from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from training.models import Completion

from ..models import OfficerCertification
from ..models import OfficerCertificationStatus as OCS


def officer_certifications_with_cycle_hours(qs: QuerySet[OfficerCertification]) -> QuerySet[OfficerCertification]:
    """Annotate `cycle_ce_hours`: CE hours from completions dated within the current cycle [cycle_start,
    valid_until] — the same window and sum as training's `officer_ce_hours` (no state mapping), as one subquery."""
    hours = Completion.objects.filter(
        officer_id=OuterRef("officer_id"), completed_on__gte=OuterRef("cycle_start"),
        completed_on__lte=OuterRef("valid_until"),
    ).order_by().values("officer_id").annotate(total=Sum("ce_hours")).values("total")
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=8, decimal_places=2))
    return qs.annotate(cycle_ce_hours=Coalesce(Subquery(hours, output_field=DecimalField(max_digits=8,
                                                                                          decimal_places=2)), zero))


def officer_certifications_short_of_hours(qs: QuerySet[OfficerCertification]) -> QuerySet[OfficerCertification]:
    """Active certifications whose holder has not yet earned the CE hours their cycle requires."""
    required = Decimal(str(settings.OFFICER_CE_HOURS_PER_CYCLE))
    return officer_certifications_with_cycle_hours(qs).filter(Q(status=OCS.ACTIVE) & Q(cycle_ce_hours__lt=required))
