"""360 evaluation APIs: thin views; serializers validate shape, services enforce the rules, selectors the access.

One module per aggregate (instruments, cycles, invitations, report, feedback); urls.py and the pages use the names
re-exported here."""

from .cycles import (
    CycleCloseApi,
    CycleDetailApi,
    CycleFollowUpApi,
    CycleListCreateApi,
    CycleOpenApi,
    EvaluationCycleDetailOutputSerializer,
    EvaluationCycleOutputSerializer,
)
from .feedback import SCALE, FeedbackApi, feedback_form_data
from .instruments import InstrumentDetailApi, InstrumentListCreateApi
from .invitations import (
    INVITATION_STATUSES,
    InvitationDetailApi,
    InvitationListCreateApi,
    InvitationRefuseApi,
    InvitationResendApi,
    RatersApproveApi,
    RatersRefuseApi,
    invitation_status,
)
from .report import ReportApi, ReportPdfApi, ReportReleaseApi, ReportReviewApi, ReportUseBuiltinApi

__all__ = [
    "INVITATION_STATUSES", "SCALE", "CycleCloseApi", "CycleDetailApi", "CycleFollowUpApi", "CycleListCreateApi",
    "CycleOpenApi", "EvaluationCycleDetailOutputSerializer", "EvaluationCycleOutputSerializer", "FeedbackApi",
    "InstrumentDetailApi", "InstrumentListCreateApi", "InvitationDetailApi", "InvitationListCreateApi",
    "InvitationRefuseApi", "InvitationResendApi", "RatersApproveApi", "RatersRefuseApi", "ReportApi", "ReportPdfApi",
    "ReportReleaseApi", "ReportReviewApi", "ReportUseBuiltinApi", "feedback_form_data", "invitation_status",
]
