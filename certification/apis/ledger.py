"""The certification ledger over HTTP (staff only)."""


from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from core.filters import StrictFilterSet
from core.models import AuditEvent
from core.permissions import IsCertificationStaff
from core.serializers import StrictModelSerializer

from .. import selectors
from ._common import TAG_LEDGER

# --- ledger ----------------------------------------------------------------------------------------------------

class CertificationLedgerEntryOutputSerializer(StrictModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["sequence", "occurred_at", "actor_label", "action", "target_type", "target_id", "data",
                  "prev_hash", "entry_hash"]


class CertificationLedgerFilter(StrictFilterSet):
    action = filters.CharFilter(field_name="action")
    target_type = filters.CharFilter(field_name="target_type")
    target_id = filters.CharFilter(field_name="target_id")

    class Meta:
        model = AuditEvent
        fields = ["action", "target_type", "target_id"]


class CertificationLedgerApi(generics.GenericAPIView):
    """Certification events in the hash-chained audit ledger, newest first (staff only)."""

    permission_classes = [IsAuthenticated, IsCertificationStaff]
    serializer_class = CertificationLedgerEntryOutputSerializer
    filterset_class = CertificationLedgerFilter

    def get_queryset(self):
        return selectors.ledger_visible_to(self.request.user)

    @extend_schema(responses=CertificationLedgerEntryOutputSerializer(many=True), tags=TAG_LEDGER,
                   summary="List ledger entries")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CertificationLedgerEntryOutputSerializer(page, many=True).data)
