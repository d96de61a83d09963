"""Plans on the REST API: views declare ``plan_feature``; ``PlanFeaturePermission`` refuses a
feature the tenant's plan lacks with 403 ``{"detail", "code": "plan_required", "plan",
"feature"}`` (inside Parley's usual ``{"success": false, "message"}`` envelope).

Views of ``archive`` features (transcripts, summaries) set ``plan_reads_existing = True``: a
GET passes here and the view asks ``plan_require(..., existing=bool(rows))`` itself, so what
was stored under Professional stays readable after a downgrade.
"""

from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.plans.catalogue import PlanLimitReached, PlanRequired, plan_require


class PlanError(exceptions.APIException):
    """A ``PlanRequired`` or ``PlanLimitReached`` as a DRF exception (403, with its body)."""

    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, error: PlanRequired | PlanLimitReached):
        super().__init__(detail=error.detail, code=error.code)
        self.body = error.as_body()


class PlanFeaturePermission(BasePermission):
    message = "Your plan does not include this feature."

    def has_permission(self, request, view) -> bool:
        feature = getattr(view, "plan_feature", None)
        if feature is None:
            raise exceptions.PermissionDenied("This endpoint declares no plan feature.")
        if getattr(view, "plan_reads_existing", False) and request.method in SAFE_METHODS:
            return True
        try:
            plan_require(request.tenant, feature)
        except PlanRequired as exc:
            raise PlanError(exc) from None
        return True


def as_api_exception(exc):
    """The plan exceptions a service may raise, as the API's 403; anything else unchanged."""
    if isinstance(exc, PlanRequired | PlanLimitReached):
        return PlanError(exc)
    return exc


class PlanErrorSerializer(serializers.Serializer):
    """OpenAPI shape of a 403 that a plan may cause (``plan_required`` or ``plan_limit``)."""

    success = serializers.BooleanField()
    message = serializers.CharField()
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False, help_text='"plan_required" or "plan_limit".')
    plan = serializers.CharField(required=False, help_text="plan_required: the plan that has the "
                                 "feature; plan_limit: the tenant's plan.")
    currentPlan = serializers.CharField(required=False)
    feature = serializers.CharField(required=False)
    limit = serializers.CharField(required=False)
    allowed = serializers.IntegerField(required=False)
    used = serializers.IntegerField(required=False)


PLAN_ERROR = {403: PlanErrorSerializer}
