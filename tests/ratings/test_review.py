"""The review gate: which units are listed, the campaign that cannot open while they wait, the
approved edit that experts then read, the recorded skip, the expert's flag that sends a unit
back (withheld from the others until fixed), the figures in the API and the package.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from ratings.models import (
    Assignment,
    CampaignStatus,
    ModelName,
    ReviewAction,
    Unit,
    UnitReviewEvent,
    UnitReviewStatus,
)
from ratings.redaction import REDACTION_MARKER
from ratings.services import (
    campaign_close,
    campaign_create,
    campaign_open,
    rating_submit,
    unit_review_save,
)
from tests.ratings.conftest import build_run, queue_codes

pytestmark = pytest.mark.django_db

PLAIN = "Plan: measure twice, cut once, then sand the edges."


def review_text(endpoint, *, language: str, item_number: int) -> str:
    """Items 1-2 name the endpoint (a listed name), 3-4 a name no list knows, 5 a nameless
    self-introduction; the rest introduce nothing."""
    if item_number in (1, 2):
        return f"As {endpoint.name}, I would start with a budget. {PLAIN}"
    if item_number in (3, 4):
        return f"I'm Zorblax, a large language model. {PLAIN}"
    if item_number == 5:
        return f"As an AI language model, I cannot hold a saw. {PLAIN}"
    return PLAIN


@pytest.fixture
def review_run(instrument, model_endpoints):
    """12 items x 2 endpoints, English: 24 work samples, 10 of them doubtful."""
    return build_run(instrument, model_endpoints, languages=("en",), text=review_text)


@pytest.fixture
def gated(review_run, panel, admin_user):
    return campaign_create(
        name="Gated", run=review_run, panel=panel, raters_per_unit=3, seed=7, by=admin_user
    )


def _unit(campaign, item_number: int, endpoint_index: int = 0) -> Unit:
    units = Unit.objects.filter(campaign=campaign, item__number=item_number).order_by(
        "trial__endpoint_id"
    )
    return units[endpoint_index]


def test_creation_lists_exactly_the_doubtful_units_and_waits_for_review(gated):
    assert gated.status == CampaignStatus.REVIEW
    listed = Unit.objects.filter(campaign=gated, review_status=UnitReviewStatus.PENDING)
    assert sorted(listed.values_list("item__number", flat=True)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert _unit(gated, 1).review_reasons == ["listed_name"]
    assert _unit(gated, 3).review_reasons == ["self_introduction"]
    assert _unit(gated, 5).review_reasons == ["identity_hint"]
    assert _unit(gated, 9).review_status == UnitReviewStatus.NOT_NEEDED
    assert (_unit(gated, 3).redactions_listed, _unit(gated, 3).redactions_pattern) == (0, 1)
    assert _unit(gated, 3).text_redacted.startswith(f"I'm {REDACTION_MARKER}, a large")


def test_nothing_of_a_campaign_awaiting_review_reaches_an_expert(gated, expert1):
    client = Client()
    client.force_login(expert1)
    assert queue_codes(expert1)  # assigned, but not shown
    assert "/rate/" + queue_codes(expert1)[0] not in client.get("/rate/").content.decode()
    for code in queue_codes(expert1)[:3]:
        assert client.get(f"/rate/{code}/").status_code == 404
        assert client.post(f"/rate/{code}/submit/", {"value": "3"}).status_code == 404


def test_the_campaign_cannot_open_while_units_await_review(gated, admin_user, admin_api):
    with pytest.raises(ValidationError) as refused:
        campaign_open(campaign=gated, by=admin_user)
    assert "10 units await review" in refused.value.message_dict["review"][0]
    response = admin_api.post(f"/api/v1/campaigns/{gated.pk}/open/", {}, format="json")
    assert response.status_code == 400
    assert "await review" in response.json()["review"][0]
    gated.refresh_from_db()
    assert gated.status == CampaignStatus.REVIEW and gated.review_skipped_at is None


def test_opening_a_closed_campaign_is_a_conflict_and_changes_nothing(gated, admin_user, admin_api):
    campaign_open(campaign=gated, by=admin_user, skip_review=True)
    campaign_close(campaign=gated)
    response = admin_api.post(f"/api/v1/campaigns/{gated.pk}/open/", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "The campaign is closed; reopen it instead of opening it."}
    gated.refresh_from_db()
    assert gated.status == CampaignStatus.CLOSED and gated.closed_at is not None


def test_approving_and_editing_every_unit_opens_it_and_experts_read_the_edit(
    gated, admin_user, admin_api, expert1
):
    edited = _unit(gated, 5)
    new_text = f"{REDACTION_MARKER} cannot hold a saw. {PLAIN}"
    response = admin_api.post(
        f"/api/v1/campaigns/{gated.pk}/review/{edited.blind_code}/",
        {"text": new_text, "note": "removed the nameless introduction"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["redacted"] == new_text and body["review_status"] == "approved"
    assert body["history"][0]["action"] == "edited" and body["history"][0]["by"] == "ada_admin"
    assert body["history"][0]["text_before"].startswith("As an AI language model")
    for unit in Unit.objects.filter(campaign=gated, review_status=UnitReviewStatus.PENDING):
        assert (
            admin_api.post(
                f"/api/v1/campaigns/{gated.pk}/review/{unit.blind_code}/", {}, format="json"
            ).status_code
            == 200
        )
    opened = admin_api.post(f"/api/v1/campaigns/{gated.pk}/open/", {}, format="json")
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert opened.json()["review_skipped_by"] is None

    client = Client()
    client.force_login(expert1)
    html = client.get(f"/rate/{edited.blind_code}/").content.decode()
    assert "cannot hold a saw" in html and "As an AI language model" not in html
    events = UnitReviewEvent.objects.filter(unit__campaign=gated)
    assert events.filter(action=ReviewAction.EDITED).count() == 1
    assert events.filter(action=ReviewAction.APPROVED).count() == 9


def test_bad_review_input_is_a_400_naming_the_field_and_changes_nothing(gated, admin_api):
    unit = _unit(gated, 1)
    response = admin_api.post(
        f"/api/v1/campaigns/{gated.pk}/review/{unit.blind_code}/", {"text": ""}, format="json"
    )
    assert response.status_code == 400 and "text" in response.json()
    response = admin_api.post(
        f"/api/v1/campaigns/{gated.pk}/open/", {"skip_review": "perhaps"}, format="json"
    )
    assert response.status_code == 400 and "skip_review" in response.json()
    missing = admin_api.post(f"/api/v1/campaigns/{gated.pk}/review/NOSUCHCODE/", {}, format="json")
    assert missing.status_code == 404
    unit.refresh_from_db()
    assert unit.review_status == UnitReviewStatus.PENDING
    assert not UnitReviewEvent.objects.exists()


def test_skipping_the_review_is_explicit_and_recorded(gated, admin_api, admin_user, expert1):
    response = admin_api.post(
        f"/api/v1/campaigns/{gated.pk}/open/", {"skip_review": True}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open" and body["review_skipped_by"] == "ada_admin"
    assert body["review_skipped_at"] is not None
    assert not Unit.objects.filter(campaign=gated, review_status=UnitReviewStatus.PENDING)
    skipped = UnitReviewEvent.objects.filter(action=ReviewAction.SKIPPED)
    assert skipped.count() == 10 and {event.by for event in skipped} == {admin_user}
    client = Client()
    client.force_login(expert1)
    assert client.get("/rate/").content.decode().count('<td><a href="/rate/') == 24


def test_a_review_step_whose_user_is_gone_shows_by_as_null_and_the_schema_allows_it(
    gated, admin_api
):
    from tests.conftest import _user

    departed = _user("dora_departed", None)
    unit = _unit(gated, 1)
    unit_review_save(unit=unit, by=departed)
    departed.delete()
    response = admin_api.get(f"/api/v1/campaigns/{gated.pk}/review/?all=true")
    assert response.status_code == 200
    (entry,) = [row for row in response.json() if row["blind_code"] == unit.blind_code]
    assert entry["history"][0]["action"] == "approved" and entry["history"][0]["by"] is None
    schema = admin_api.get("/api/v1/schema/?format=json").json()
    assert schema["components"]["schemas"]["ReviewEvent"]["properties"]["by"]["nullable"] is True


def test_the_schema_offers_the_review_list_only_the_parameters_it_reads(admin_api):
    schema = admin_api.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/campaigns/{id}/review/"]["get"]
    assert sorted(parameter["name"] for parameter in operation["parameters"]) == ["all", "id"]


def test_experts_and_anonymous_users_cannot_reach_the_review_list(gated, expert_api, expert1):
    assert expert_api.get(f"/api/v1/campaigns/{gated.pk}/review/").status_code == 403
    unit = _unit(gated, 1)
    assert (
        expert_api.post(
            f"/api/v1/campaigns/{gated.pk}/review/{unit.blind_code}/", {}, format="json"
        ).status_code
        == 403
    )
    client = Client()
    client.force_login(expert1)
    assert client.get(f"/ratings/campaigns/{gated.pk}/review/").status_code == 403


def test_a_flag_withholds_the_unit_from_experts_who_have_not_rated_it_until_fixed(
    gated, admin_user, expert1, expert2, expert3
):
    campaign_open(campaign=gated, by=admin_user, skip_review=True)
    unit = _unit(gated, 9)
    flagger = Assignment.objects.get(unit=unit, expert__user=expert1)
    waiting = Assignment.objects.get(unit=unit, expert__user=expert2)
    rated = Assignment.objects.get(unit=unit, expert__user=expert3)
    rating_submit(assignment=rated, value=3)
    rating_submit(assignment=flagger, value=2, flags=["identifies_model"])

    unit.refresh_from_db()
    assert unit.review_status == UnitReviewStatus.PENDING
    assert "flagged_by_expert" in unit.review_reasons
    flag = UnitReviewEvent.objects.get(unit=unit, action=ReviewAction.FLAGGED)
    assert flag.by == expert1
    waiting_client, rated_client = Client(), Client()
    waiting_client.force_login(expert2)
    rated_client.force_login(expert3)
    assert unit.blind_code not in waiting_client.get("/rate/").content.decode()
    assert waiting_client.get(f"/rate/{unit.blind_code}/").status_code == 404
    assert unit.blind_code in rated_client.get("/rate/").content.decode()
    assert rated_client.get(f"/rate/{unit.blind_code}/").status_code == 200

    unit_review_save(unit=unit, by=admin_user, text=f"{PLAIN} (checked)")
    assert unit.blind_code in waiting_client.get("/rate/").content.decode()
    page = waiting_client.get(f"/rate/{unit.blind_code}/")
    assert page.status_code == 200 and "(checked)" in page.content.decode()
    del waiting


def test_a_revision_that_keeps_the_flag_does_not_send_a_fixed_unit_back(gated, admin_user, expert1):
    from ratings.services import rating_revise

    campaign_open(campaign=gated, by=admin_user, skip_review=True)
    unit = _unit(gated, 10)
    mine = Assignment.objects.get(unit=unit, expert__user=expert1)
    rating_submit(assignment=mine, value=2, flags=["identifies_model"])
    unit_review_save(unit=unit, by=admin_user)
    rating_revise(assignment=mine, value=3, flags=["identifies_model"])
    unit.refresh_from_db()
    assert unit.review_status == UnitReviewStatus.APPROVED


def test_figures_per_campaign_in_the_api_and_the_package(
    gated, admin_user, admin_api, researcher_api, expert1
):
    # By hand: items 1-2 (2 endpoints) lose the endpoint's name: 4 units, 4 listed redactions;
    # items 3-4 lose "Zorblax": 4 units, 4 pattern redactions; item 5 is redacted nowhere.
    unit_review_save(unit=_unit(gated, 1), by=admin_user)
    unit_review_save(unit=_unit(gated, 2), by=admin_user, text=PLAIN)
    campaign_open(campaign=gated, by=admin_user, skip_review=True)
    flagged = _unit(gated, 11)
    rating_submit(
        assignment=Assignment.objects.get(unit=flagged, expert__user=expert1),
        value=1,
        flags=["identifies_model"],
    )
    served = researcher_api.get(f"/api/v1/campaigns/{gated.pk}/").json()["redaction"]
    assert served == {
        "units_redacted": 8,
        "redactions_listed": 4,
        "redactions_pattern": 4,
        "units_awaiting_review": 1,
        "units_reviewed": 2,
        "units_edited": 1,
        "units_flagged": 1,
    }
    response = researcher_api.get(f"/api/v1/campaigns/{gated.pk}/package/?bootstrap=20")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("redaction.json")) == served
    manifest = json.loads(archive.read("manifest.json"))
    assert "redaction.json" in {entry["name"] for entry in manifest["files"]}


def test_a_name_added_in_the_admin_is_redacted_in_the_next_campaign(
    instrument, model_endpoints, panel, admin_user
):
    def text(endpoint, *, language, item_number):
        return f"The Velvetmind report says: {PLAIN}"

    run = build_run(instrument, model_endpoints, languages=("en",), item_numbers=[1], text=text)
    before = campaign_create(name="Before", run=run, panel=panel, skip_review=True)
    assert "Velvetmind" in before.units.first().text_redacted
    ModelName.objects.create(
        name="Velvetmind", maker="Nowhere", kind="family", forms=["Velvetmind"]
    )
    after = campaign_create(name="After", run=run, panel=panel)
    unit = after.units.first()
    assert "Velvetmind" not in unit.text_redacted and unit.redactions_listed == 1
    assert after.status == CampaignStatus.REVIEW


def test_the_shipped_list_covers_the_papers_four_models_in_the_database():
    forms = {form for entry in ModelName.objects.all() for form in entry.forms}
    assert {"GPT-3.5", "Gemini", "ERNIE", "文心一言", "iFLYTEK Spark", "讯飞星火"} <= forms
    makers = set(ModelName.objects.values_list("maker", flat=True))
    assert len(makers) >= 30


def test_review_page_and_api_have_constant_queries(
    gated, admin_user, admin_api, django_assert_num_queries
):
    client = Client()
    client.force_login(admin_user)
    # Page: the session's user, the role check, the campaign, the units with their trials'
    # text, their events with who made them, the figures.
    with django_assert_num_queries(6):
        page = client.get(f"/ratings/campaigns/{gated.pk}/review/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="card review-unit"') == 10
    assert "I&#x27;m Zorblax, a large language model" in html  # the original, beside
    # Why each unit is listed, in words rather than the stored codes, in the page's language.
    assert "a self-introduction was removed" in html and "self_introduction" not in html
    assert "a listed name was removed" in html and "listed_name" not in html
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"/ratings/campaigns/{gated.pk}/review/").content.decode()
    assert "已删除自我介绍" in chinese and "已删除名单中的名称" in chinese
    client.cookies.pop("django_language")
    # API (the forced-login user keeps its role groups from the first request): the campaign, the units
    # with their trials' text, their events with who made them.
    with django_assert_num_queries(3):
        listed = admin_api.get(f"/api/v1/campaigns/{gated.pk}/review/")
    assert len(listed.json()) == 10
    unit_review_save(unit=_unit(gated, 1), by=admin_user, text=PLAIN)
    unit_review_save(unit=_unit(gated, 2), by=admin_user)
    with django_assert_num_queries(3):
        everything = admin_api.get(f"/api/v1/campaigns/{gated.pk}/review/?all=1")
    assert len(everything.json()) == 10 and len(listed.json()) == 10
    with django_assert_num_queries(6):
        client.get(f"/ratings/campaigns/{gated.pk}/review/?all=1")


def test_review_page_opens_the_campaign_once_everything_is_settled(gated, admin_user):
    client = Client()
    client.force_login(admin_user)
    refused = client.post(f"/ratings/campaigns/{gated.pk}/review/", {"action": "open"})
    assert refused.status_code == 400 and b"await review" in refused.content
    for unit in Unit.objects.filter(campaign=gated, review_status=UnitReviewStatus.PENDING):
        response = client.post(
            f"/ratings/campaigns/{gated.pk}/review/",
            {"action": "edit", "unit": unit.blind_code, "text": "Line one.\r\nLine two."},
        )
        assert response.status_code == 302
    assert _unit(gated, 1).text_redacted == "Line one.\nLine two."
    opened = client.post(f"/ratings/campaigns/{gated.pk}/review/", {"action": "open"})
    assert opened.status_code == 302
    gated.refresh_from_db()
    assert gated.status == CampaignStatus.OPEN and gated.review_skipped_by is None


def test_review_page_refuses_an_edit_with_a_null_character_and_changes_nothing(gated, admin_user):
    # PostgreSQL cannot store a NUL in text: saving it would fail with a server error.
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    unit = _unit(gated, 1)
    before = unit.text_redacted
    response = client.post(
        f"/ratings/campaigns/{gated.pk}/review/",
        {"action": "edit", "unit": unit.blind_code, "text": "Line one.\x00"},
    )
    assert response.status_code == 400 and b"Null characters are not allowed." in response.content
    unit.refresh_from_db()
    assert (unit.text_redacted, unit.review_status) == (before, UnitReviewStatus.PENDING)
    assert not UnitReviewEvent.objects.exists()
