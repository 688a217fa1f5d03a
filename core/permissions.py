from rest_framework.permissions import BasePermission


class IsCertificationStaff(BasePermission):
    message = "Only certification staff may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_certification_staff)


class IsStaffOrAgencyAdmin(BasePermission):
    message = "Only certification staff or an agency administrator may do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_certification_staff or user.is_agency_admin))


class IsOfficer(BasePermission):
    """An officer's own account (linked to one officer record): the /me/officer/ self-service routes."""

    message = "Only an officer's own account may use this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_officer", False))
