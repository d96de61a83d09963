"""The one decision: what each plan allows, how plans nest, limits with overrides."""

import pytest

from portal.plans.catalogue import (
    ESSENTIAL,
    FEATURES,
    PLANS,
    PROFESSIONAL,
    PlanRequired,
    feature_known,
    plan_allows,
    plan_for_feature,
    plan_limits,
    plan_require,
)
from portal.tenancy import Tenant

ESSENTIAL_FEATURES = {
    "meetings", "audio_video", "chat", "participant_controls", "screen_sharing", "recording", "files",
    "live_selling", "analytics",
}
PROFESSIONAL_ONLY = {
    "noise_suppression", "enhanced_chat", "captions", "transcripts", "summaries", "whiteboard",
    "virtual_backgrounds", "speaker_tagging", "advanced_analytics",
}


def tenant(plan, **fields):
    return Tenant(name="T", slug="t", plan=plan, **fields)


def test_the_catalogue_is_the_seeds_two_packages():
    assert set(FEATURES) == ESSENTIAL_FEATURES | PROFESSIONAL_ONLY
    assert PLANS[ESSENTIAL].features == ESSENTIAL_FEATURES
    assert PLANS[PROFESSIONAL].features == ESSENTIAL_FEATURES | PROFESSIONAL_ONLY
    assert list(PLANS) == [ESSENTIAL, PROFESSIONAL]  # cheapest first


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_each_feature_is_allowed_exactly_where_its_plan_has_it(feature):
    assert plan_allows(tenant(PROFESSIONAL), feature)
    assert plan_allows(tenant(ESSENTIAL), feature) is (feature in ESSENTIAL_FEATURES)
    assert plan_for_feature(feature).code == (ESSENTIAL if feature in ESSENTIAL_FEATURES else PROFESSIONAL)


def test_a_plan_code_means_everything_in_that_plan():
    assert plan_allows(tenant(ESSENTIAL), ESSENTIAL) and plan_allows(tenant(PROFESSIONAL), ESSENTIAL)
    assert plan_allows(tenant(PROFESSIONAL), PROFESSIONAL)
    assert not plan_allows(tenant(ESSENTIAL), PROFESSIONAL)
    assert feature_known("essential") and feature_known("whiteboard") and not feature_known("gold")


def test_unknown_features_are_an_error_not_a_yes():
    with pytest.raises(KeyError):
        plan_allows(tenant(PROFESSIONAL), "whitebaord")


def test_no_tenant_is_allowed_nothing():
    assert not plan_allows(None, "meetings")


def test_existing_content_of_archive_features_stays_readable():
    essential = tenant(ESSENTIAL)
    for feature in ("transcripts", "summaries"):
        assert not plan_allows(essential, feature)
        assert plan_allows(essential, feature, existing=True)
    # What is not an archive (the whiteboard is live state) is not readable through a downgrade.
    assert not plan_allows(essential, "whiteboard", existing=True)


def test_plan_required_names_the_plan_and_the_feature():
    with pytest.raises(PlanRequired) as caught:
        plan_require(tenant(ESSENTIAL), "whiteboard")
    body = caught.value.as_body()
    assert body == {
        "detail": "Interactive whiteboard and annotation is part of the Professional plan; this site is on "
                  "Essential.",
        "code": "plan_required", "plan": "professional", "currentPlan": "essential", "feature": "whiteboard",
    }


def test_limits_come_from_the_plan_unless_the_tenant_has_its_own():
    assert plan_limits(tenant(ESSENTIAL)) == PLANS[ESSENTIAL].limits
    custom = plan_limits(tenant(ESSENTIAL, limit_max_participants=3, limit_storage_bytes=10))
    assert (custom.max_participants, custom.storage_bytes) == (3, 10)
    assert custom.recording_minutes == PLANS[ESSENTIAL].limits.recording_minutes
    assert PLANS[PROFESSIONAL].limits.max_participants > PLANS[ESSENTIAL].limits.max_participants
