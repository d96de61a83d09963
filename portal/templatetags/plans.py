"""``{% load plans %}`` → ``{% plan_badge "whiteboard" %}``: "Part of Professional" where the
tenant's plan lacks the feature, nothing where it has it."""

from django import template

from portal.plans.catalogue import FEATURES, plan_allows, plan_for_feature

register = template.Library()


@register.inclusion_tag("plans/_badge.html", takes_context=True)
def plan_badge(context, feature: str) -> dict:
    request = context.get("request")
    allowed = plan_allows(getattr(request, "tenant", None), feature)
    return {"show": not allowed, "plan": plan_for_feature(feature).name, "label": FEATURES[feature].label}
