"""Calibration: gold units first, feedback after each, a qualification gate, and what the
admin sees. Through the expert's pages and JSON endpoints, the services and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from ratings.models import (
    Assignment,
    AssignmentStatus,
    Calibration,
    CalibrationStatus,
    Campaign,
    Unit,
)
from ratings.services import GoldUnit, RatingConflict, campaign_create, rating_submit
from ratings.stats_selectors import campaign_agreement_frame
from tests.conftest import queries_per_page
from tests.ratings.conftest import calibration_gold, one_unit_calibrated_campaign

pytestmark = pytest.mark.django_db

RATIONALE = "A competent plan names the steps but misses the safety check: a 2 or a 3."


@pytest.fixture
def calibrated(finished_run, panel, admin_user):
    """English units, two raters each; three calibration units rated first by every expert,
    two of three within range needed."""
    trials = list(finished_run.trials.filter(language="en", item__area="R").order_by("pk")[:3])
    gold = calibration_gold(trials, rationale=RATIONALE)
    return campaign_create(
        name="Calibrated campaign",
        run=finished_run,
        panel=panel,
        languages=["en"],
        raters_per_unit=2,
        gold=gold,
        qualification_threshold=0.66,
        seed=4,
        by=admin_user,
        skip_review=True,
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _calibration_codes(campaign, user) -> list[str]:
    return list(
        Assignment.objects.filter(campaign=campaign, expert__user=user, unit__is_calibration=True)
        .order_by("position")
        .values_list("unit__blind_code", flat=True)
    )


def _real_code(campaign, user) -> str:
    return (
        Assignment.objects.filter(campaign=campaign, expert__user=user, unit__is_calibration=False)
        .order_by("position")
        .values_list("unit__blind_code", flat=True)
        .first()
    )


def _calibrate(client, campaign, user, values) -> None:
    for code, value in zip(_calibration_codes(campaign, user), values, strict=True):
        response = client.post(f"/rate/{code}/submit/", {"value": value})
        assert response.status_code == 200, response.content
        # The next page is the same unit, which now shows the feedback.
        assert response.json()["next_url"] == f"/rate/{code}/"


def test_calibration_units_open_every_queue_outside_the_balanced_plan(calibrated, panel):
    calibration_units = Unit.objects.filter(campaign=calibrated, is_calibration=True)
    assert calibration_units.count() == 3
    assert all(unit.is_gold and unit.rationale == RATIONALE for unit in calibration_units)
    for expert in panel.experts.all():
        positions = dict(
            Assignment.objects.filter(campaign=calibrated, expert=expert).values_list(
                "position", "unit__is_calibration"
            )
        )
        assert [positions[p] for p in range(3)] == [True, True, True]
        assert not any(positions[p] for p in positions if p >= 3)
        assert Calibration.objects.get(campaign=calibrated, expert=expert).units == 3
    real = Unit.objects.filter(campaign=calibrated, is_calibration=False)
    # 24 English samples less the 3 calibration ones; each real unit has exactly 2 raters.
    assert real.count() == 21
    assert {unit.assignments.count() for unit in real} == {2}


def test_real_units_wait_until_the_expert_has_qualified(calibrated, expert1):
    client = _client(expert1)
    html = client.get("/rate/").content.decode()
    assert 'id="calibration-calibrating"' in html
    assert html.count('<td><a href="/rate/') == 3  # the calibration units only
    real = _real_code(calibrated, expert1)
    assert client.get(f"/rate/{real}/").status_code == 404
    assert client.post(f"/rate/{real}/submit/", {"value": 3}).status_code == 404
    assignment = Assignment.objects.select_related("campaign").get(
        campaign=calibrated, expert__user=expert1, unit__blind_code=real
    )
    with pytest.raises(RatingConflict, match="passed the campaign's calibration"):
        rating_submit(assignment=assignment, value=3)


def test_feedback_after_each_calibration_rating_and_no_second_try(calibrated, expert1):
    client = _client(expert1)
    first, *_rest = _calibration_codes(calibrated, expert1)
    html = client.get(f"/rate/{first}/").content.decode()
    assert 'id="calibration-notice"' in html and 'id="calibration-feedback"' not in html
    client.post(f"/rate/{first}/submit/", {"value": 5})
    html = client.get(f"/rate/{first}/").content.decode()
    assert 'id="calibration-feedback"' in html
    assert "Expected range: <strong>2 to 3</strong>" in html
    assert "outside the expected range" in html
    assert RATIONALE in html
    assert 'id="rating-form"' not in html  # nothing to submit again
    assert client.post(f"/rate/{first}/submit/", {"value": 3}).status_code == 409
    calibration = Calibration.objects.get(campaign=calibrated, expert__user=expert1)
    assert (calibration.rated, calibration.within_range) == (1, 0)
    second = _calibration_codes(calibrated, expert1)[1]
    assert client.post(f"/rate/{second}/skip/", {"skip_reason": "other"}).status_code == 409


def test_an_expert_below_the_threshold_is_told_why_and_gets_no_real_units(
    calibrated, expert1, admin_user, admin_api
):
    client = _client(expert1)
    _calibrate(client, calibrated, expert1, [5, 3, 1])  # 1 of 3 within 2..3
    calibration = Calibration.objects.get(campaign=calibrated, expert__user=expert1)
    assert calibration.status == CalibrationStatus.NOT_QUALIFIED
    assert calibration.decided_at is not None

    last = _calibration_codes(calibrated, expert1)[-1]
    html = client.get(f"/rate/{last}/").content.decode()
    assert 'href="/rate/"' in html  # Continue leads back to the queue: nothing else to rate
    html = client.get("/rate/").content.decode()
    assert 'id="calibration-not_qualified"' in html
    assert "You did not pass the calibration: 1 of 3" in html
    assert 'id="continue-button"' not in html and 'id="queue-finished"' not in html
    assert client.get(f"/rate/{_real_code(calibrated, expert1)}/").status_code == 404

    progress = _client(admin_user).get(f"/ratings/campaigns/{calibrated.pk}/progress/")
    html = progress.content.decode()
    assert 'id="calibration-table"' in html
    assert "1 of 3 calibration ratings within the expected range (33%), below the threshold" in (
        html
    )
    body = admin_api.get(f"/api/v1/campaigns/{calibrated.pk}/calibration/").json()
    row = next(row for row in body["experts"] if row["status"] == "not_qualified")
    assert (row["rated"], row["within_range"], row["threshold"]) == (3, 1, 0.66)
    assert sorted(miss["value"] for miss in row["misses"]) == [1, 5]
    assert "below the threshold" in row["reason"]


def test_an_expert_at_the_threshold_qualifies_and_reaches_the_real_units(calibrated, expert2):
    client = _client(expert2)
    _calibrate(client, calibrated, expert2, [2, 3, 5])  # 2 of 3 within range
    calibration = Calibration.objects.get(campaign=calibrated, expert__user=expert2)
    assert calibration.status == CalibrationStatus.QUALIFIED
    html = client.get("/rate/").content.decode()
    assert 'id="calibration-qualified"' in html
    real = _real_code(calibrated, expert2)
    assert f'href="/rate/{real}/"' in html  # the continue button
    assert client.get(f"/rate/{real}/").status_code == 200
    response = client.post(f"/rate/{real}/submit/", {"value": 4})
    assert response.status_code == 200
    assert Assignment.objects.get(unit__blind_code=real, expert__user=expert2).status == (
        AssignmentStatus.SUBMITTED
    )


def test_calibration_ratings_are_not_the_campaigns_data(calibrated, expert2):
    _calibrate(_client(expert2), calibrated, expert2, [2, 3, 3])
    frame = campaign_agreement_frame(campaign_id=calibrated.pk)
    assert frame.empty
    client = _client(expert2)
    client.post(f"/rate/{_real_code(calibrated, expert2)}/submit/", {"value": 4})
    assert len(campaign_agreement_frame(campaign_id=calibrated.pk)) == 1


def test_queue_with_calibration_makes_a_constant_number_of_queries(
    calibrated, expert1, django_assert_num_queries
):
    client = _client(expert1)
    client.get("/rate/")
    # session, user (with the expert profile), the queue's assignments, the calibration rows
    with django_assert_num_queries(4):
        client.get("/rate/")
    _calibrate(client, calibrated, expert1, [2, 2, 2])
    with django_assert_num_queries(4):
        html = client.get("/rate/").content.decode()
    assert html.count('<td><a href="/rate/') > 3


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"qualification_threshold": 1.5}, "qualification_threshold", "between 0 and 1"),
        ({"qualification_threshold": None}, "qualification_threshold", "required when gold"),
        ({"gold_calibration": False}, "gold", "needs gold units marked for calibration"),
    ],
)
def test_bad_calibration_settings_are_a_400_naming_the_field(
    admin_api, finished_run, panel, changes, field, reason
):
    trial = finished_run.trials.filter(language="en").order_by("pk").first()
    definition = {
        "name": "Calibrated by API",
        "run": finished_run.pk,
        "panel": panel.pk,
        "languages": ["en"],
        "raters_per_unit": 2,
        "qualification_threshold": 0.8,
        "gold": [
            {
                "trial": trial.pk,
                "expected_min": 2,
                "expected_max": 3,
                "calibration": changes.pop("gold_calibration", True),
                "rationale": RATIONALE,
            }
        ],
    }
    definition.update(changes)
    response = admin_api.post("/api/v1/campaigns/", definition, format="json")
    assert response.status_code == 400, response.content
    assert reason in str(response.json()[field])
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_study_admin_creates_a_calibrated_campaign_through_the_api(admin_api, finished_run, panel):
    trial = finished_run.trials.filter(language="en").order_by("pk").first()
    response = admin_api.post(
        "/api/v1/campaigns/",
        {
            "name": "Calibrated by API",
            "run": finished_run.pk,
            "panel": panel.pk,
            "languages": ["en"],
            "raters_per_unit": 2,
            "qualification_threshold": 0.8,
            "gold": [
                {
                    "trial": trial.pk,
                    "expected_min": 2,
                    "expected_max": 3,
                    "calibration": True,
                    "rationale": RATIONALE,
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["qualification_threshold"] == 0.8
    unit = Unit.objects.get(trial=trial)
    assert unit.is_calibration and unit.rationale == RATIONALE
    assert Calibration.objects.filter(campaign_id=response.json()["id"]).count() == 3


def test_a_rationale_that_names_an_endpoint_is_refused_not_rewritten(finished_run, panel):
    """Experts read the rationale after rating: one that names a model is refused, naming the
    gold unit, and nothing is written (tests/ratings/test_admin_text_blind.py for each path)."""
    from tests.ratings.conftest import ENDPOINTS

    name = ENDPOINTS[0]["name"]
    with pytest.raises(ValidationError) as refused:
        one_unit_calibrated_campaign(
            finished_run,
            panel,
            name="Leaky rationale",
            rationale=f"As {name} would say, the plan is thin.",
        )

    [message] = refused.value.message_dict["gold"]
    assert "names a model" in message and name in message
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_campaign_statistics_count_calibration_units_apart_from_unrated_ones(calibrated, expert2):
    """Three calibration units and 21 real ones of two raters each (three experts). expert2
    rates the three calibration units and one real unit: the statistics leave out the three
    calibration units as such, 20 real units without a rating and 41 real assignments not
    rated yet (the other experts' six calibration assignments are not the campaign's data)."""
    from ratings.analysis.parameters import AGREEMENT_PARAMETERS
    from ratings.analysis.results import campaign_agreement

    _calibrate(_client(expert2), calibrated, expert2, [2, 3, 3])
    _client(expert2).post(f"/rate/{_real_code(calibrated, expert2)}/submit/", {"value": 4})
    parameters = {name: parameter.default for name, parameter in AGREEMENT_PARAMETERS.items()}

    result = campaign_agreement(campaign=calibrated, parameters=parameters)

    exclusions = {(entry["reason"], entry["of"]): entry["count"] for entry in result["exclusions"]}
    assert exclusions == {
        ("calibration unit (trains the experts; not the campaign's data)", "units"): 3,
        ("assignment not rated yet (pending or draft)", "assignments"): 41,
        ("unit has no submitted rating", "units"): 20,
        ("unit has a single rating (not pairable)", "units"): 1,
    }


def test_a_rationale_is_checked_against_the_studys_list_of_model_names(finished_run, panel):
    """A name the study admin added to the list of model names is refused in the rationale as
    it is removed from the work samples, not only the names shipped with the application."""
    from ratings.models import ModelName

    ModelName.objects.create(
        name="Quokkaflux", maker="Marsupial Labs", kind="family", forms=["Quokkaflux"]
    )
    with pytest.raises(ValidationError) as refused:
        one_unit_calibrated_campaign(
            finished_run,
            panel,
            name="Listed rationale",
            rationale="Quokkaflux answers read like this one: the plan is thin.",
        )

    [message] = refused.value.message_dict["gold"]
    assert "names a model" in message and "Quokkaflux" in message
    assert not Campaign.objects.exists()


def test_why_an_expert_just_below_the_threshold_failed_shows_figures_that_differ(
    finished_run, panel, expert1, admin_api
):
    """A threshold of 0.67 and 2 of 3 within range (66.67%): not qualified. Rounded to whole
    percents both read 67%, so the expert and the admin would be told 67% is below 67%; the
    figures carry the decimals it takes to show the difference."""
    trials = list(finished_run.trials.filter(language="en", item__area="R").order_by("pk")[:3])
    campaign = campaign_create(
        name="Two thirds are not enough",
        skip_review=True,
        run=finished_run,
        panel=panel,
        languages=["en"],
        raters_per_unit=2,
        gold=[
            GoldUnit(trial_id=trial.pk, expected_min=2, expected_max=3, calibration=True)
            for trial in trials
        ],
        qualification_threshold=0.67,
        seed=4,
    )
    client = _client(expert1)
    _calibrate(client, campaign, expert1, [2, 3, 5])
    assert Calibration.objects.get(campaign=campaign, expert__user=expert1).status == (
        CalibrationStatus.NOT_QUALIFIED
    )

    html = client.get("/rate/").content.decode()
    assert "2 of 3 calibration ratings were within the expected range (66.7%; 67% needed)" in (html)
    body = admin_api.get(f"/api/v1/campaigns/{campaign.pk}/calibration/").json()
    (row,) = [row for row in body["experts"] if row["status"] == "not_qualified"]
    assert row["reason"].startswith(
        "2 of 3 calibration ratings within the expected range (66.7%), below the threshold of 67%:"
    )


# --------------------------------------------------------------------------------------------
# A calibration unit flagged as identifying the model: withheld, without stalling the others


def _flagged_calibration_unit(campaign, flagger) -> Unit:
    """The first calibration unit, rated within range and flagged by `flagger`: it goes back to
    the review list and is withheld from the experts who have not rated it."""
    unit = Unit.objects.filter(campaign=campaign, is_calibration=True).order_by("pk").first()
    _submit(unit, flagger, 2, flags=["identifies_model"])
    unit.refresh_from_db()
    assert unit.review_status == "pending"
    return unit


def _submit(unit, user, value, *, flags=()) -> None:
    assignment = Assignment.objects.select_related("campaign").get(unit=unit, expert__user=user)
    rating_submit(assignment=assignment, value=value, flags=list(flags))


def _rate_other_calibration_units(campaign, user, withheld, values) -> None:
    others = Unit.objects.filter(campaign=campaign, is_calibration=True).exclude(pk=withheld.pk)
    for unit, value in zip(others.order_by("pk"), values, strict=True):
        _submit(unit, user, value)


def _status(campaign, user) -> str:
    return Calibration.objects.get(campaign=campaign, expert__user=user).status


@pytest.mark.parametrize(
    ("units", "rated", "within_range", "threshold", "expected"),
    [
        # Every unit rated: the share over all of them, as always.
        (3, 3, 2, 0.66, CalibrationStatus.QUALIFIED),
        (3, 3, 1, 0.66, CalibrationStatus.NOT_QUALIFIED),
        (3, 3, 2, 0.67, CalibrationStatus.NOT_QUALIFIED),  # 2/3 = 0.6667 < 0.67
        # One unit not rated: 2 of 3 reach 0.66 even if it misses; 0 of 3 plus it (1 of 3)
        # cannot; 1 within range decides nothing: 1 of 3 fails, 2 of 3 passes.
        (3, 2, 2, 0.66, CalibrationStatus.QUALIFIED),
        (3, 2, 0, 0.66, CalibrationStatus.NOT_QUALIFIED),
        (3, 2, 1, 0.66, None),
        # Four units, threshold 0.5 (2 needed), two withheld: 0 of 2 could still reach 2 of 4.
        (4, 2, 0, 0.5, None),
        (4, 2, 2, 0.5, CalibrationStatus.QUALIFIED),
        (4, 3, 0, 0.5, CalibrationStatus.NOT_QUALIFIED),
        (5, 1, 1, 0.0, CalibrationStatus.QUALIFIED),  # a threshold of 0 is met by anyone
        (2, 1, 1, 1.0, None),
        (2, 1, 0, 1.0, CalibrationStatus.NOT_QUALIFIED),
    ],
)
def test_qualification_is_decided_early_only_when_the_units_left_cannot_change_it(
    units, rated, within_range, threshold, expected
):
    from ratings.calibration import qualification_decision

    decision = qualification_decision(
        units=units, rated=rated, within_range=within_range, threshold=threshold
    )
    assert decision == expected


def test_a_withheld_calibration_unit_does_not_hold_up_experts_it_cannot_change(
    calibrated, expert1, expert2, expert3
):
    """expert1 flags a calibration unit; 2 of the 3 within range are needed (0.66). expert2
    has both other units within range: qualified whatever the withheld one gets. expert3 has
    both outside: 0 + 1 of 3 at best, not qualified. Neither waits for the review."""
    withheld = _flagged_calibration_unit(calibrated, expert1)
    _rate_other_calibration_units(calibrated, expert2, withheld, [2, 3])
    _rate_other_calibration_units(calibrated, expert3, withheld, [5, 1])

    assert _status(calibrated, expert2) == CalibrationStatus.QUALIFIED
    assert _status(calibrated, expert3) == CalibrationStatus.NOT_QUALIFIED
    html = _client(expert2).get("/rate/").content.decode()
    real = _real_code(calibrated, expert2)
    assert 'id="calibration-qualified"' in html and f'href="/rate/{real}/"' in html
    assert withheld.blind_code not in html
    html = _client(expert3).get("/rate/").content.decode()
    assert "You did not pass the calibration: 0 of 2" in html

    # Once the unit is released, the qualified expert may still rate it: the decision stays.
    from ratings.services import unit_review_save

    unit_review_save(unit=withheld, by=None)
    _submit(withheld, expert2, 5)
    calibration = Calibration.objects.get(campaign=calibrated, expert__user=expert2)
    assert (calibration.status, calibration.rated, calibration.within_range) == (
        CalibrationStatus.QUALIFIED,
        3,
        2,
    )


def test_a_flag_decides_an_expert_who_had_only_the_flagged_unit_left(calibrated, expert1, expert2):
    withheld = Unit.objects.filter(campaign=calibrated, is_calibration=True).order_by("pk")[0]
    _rate_other_calibration_units(calibrated, expert2, withheld, [2, 3])
    assert _status(calibrated, expert2) == CalibrationStatus.CALIBRATING

    _submit(withheld, expert1, 2, flags=["identifies_model"])

    assert _status(calibrated, expert2) == CalibrationStatus.QUALIFIED
    assert _status(calibrated, expert1) == CalibrationStatus.CALIBRATING  # 1 of 3 rated


def test_an_expert_whose_only_calibration_unit_is_withheld_is_told_so(
    finished_run, panel, expert1, expert2
):
    """One calibration unit: flagged, nothing of the campaign is left in expert2's queue, which
    says why instead of "no units are assigned to you yet"."""
    trial = finished_run.trials.filter(language="en").order_by("pk").first()
    campaign = campaign_create(
        name="One calibration unit",
        skip_review=True,
        run=finished_run,
        panel=panel,
        languages=["en"],
        raters_per_unit=2,
        gold=[GoldUnit(trial_id=trial.pk, expected_min=2, expected_max=3, calibration=True)],
        qualification_threshold=0.5,
        seed=4,
    )
    withheld = _flagged_calibration_unit(campaign, expert1)
    html = _client(expert2).get("/rate/").content.decode()
    assert 'id="calibration-waiting"' in html and 'id="calibration-calibrating"' in html
    assert "No units are assigned to you yet" not in html
    assert withheld.blind_code not in html


def test_an_expert_whose_qualification_hangs_on_a_withheld_unit_is_told_so(
    calibrated, expert1, expert2, admin_user, admin_api, settings
):
    """1 of the 2 other units within range: the withheld unit decides (2 of 3 pass, 1 of 3
    fail), so expert2 waits for the review, and the queue says so without naming the unit."""
    withheld = _flagged_calibration_unit(calibrated, expert1)
    _rate_other_calibration_units(calibrated, expert2, withheld, [2, 5])
    assert _status(calibrated, expert2) == CalibrationStatus.CALIBRATING

    client = _client(expert2)
    html = client.get("/rate/").content.decode()
    assert 'id="calibration-waiting"' in html
    assert "One of your calibration units is being checked by a study admin" in html
    assert 'id="queue-finished"' not in html and 'id="continue-button"' not in html
    assert withheld.blind_code not in html and "identif" not in html.lower()
    html = client.get("/rate/", headers={"accept-language": "zh-hans"}).content.decode()
    assert "您的 1 个校准单元正在由研究管理员核查" in html

    # The study admin sees which calibration unit is withheld and who waits on it.
    page = _client(admin_user).get(f"/ratings/campaigns/{calibrated.pk}/progress/")
    html = page.content.decode()
    assert 'id="withheld-calibration"' in html
    assert f'<td><code>{withheld.blind_code}</code></td><td class="experts-waiting">1</td>' in html
    body = admin_api.get(f"/api/v1/campaigns/{calibrated.pk}/calibration/").json()
    assert body["withheld_units"] == [
        {"blind_code": withheld.blind_code, "experts_waiting": 1, "experts_to_rate": 2}
    ]

    # Released: the unit is back in the queue, and its rating decides as usual.
    from ratings.services import unit_review_save

    unit_review_save(unit=withheld, by=admin_user)
    html = client.get("/rate/").content.decode()
    assert 'id="calibration-waiting"' not in html
    assert f'href="/rate/{withheld.blind_code}/"' in html
    client.post(f"/rate/{withheld.blind_code}/submit/", {"value": 3})
    assert _status(calibrated, expert2) == CalibrationStatus.QUALIFIED
    body = admin_api.get(f"/api/v1/campaigns/{calibrated.pk}/calibration/").json()
    assert body["withheld_units"] == []


def test_the_campaign_admin_lists_withheld_calibration_units(
    calibrated, expert1, expert2, admin_user
):
    """The admin's calibration field names the withheld calibration unit and who waits on it,
    as the progress page and the API do, in the admin's language."""
    withheld = _flagged_calibration_unit(calibrated, expert1)
    _rate_other_calibration_units(calibrated, expert2, withheld, [2, 5])
    admin = _client(admin_user)
    url = f"/admin/ratings/campaign/{calibrated.pk}/change/"
    html = admin.get(url).content.decode()
    assert (
        f"<div>{withheld.blind_code} is withheld for review; experts waiting: 1, experts still "
        "to rate it: 2.</div>"
    ) in html
    html = admin.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert (f"{withheld.blind_code} 因审核而暂不分配；等待中的专家：1，尚待评分的专家：2。") in html

    from ratings.services import unit_review_save

    unit_review_save(unit=withheld, by=admin_user)
    assert "withheld for review" not in admin.get(url).content.decode()


def test_the_review_page_and_api_mark_calibration_units(calibrated, expert1, admin_user, admin_api):
    """A flagged calibration unit and a real unit await review: the review page marks the
    calibration one only, in the admin's language, and the API says which is which."""
    from ratings.models import UnitReviewStatus

    withheld = _flagged_calibration_unit(calibrated, expert1)
    real = Unit.objects.filter(campaign=calibrated, is_calibration=False).order_by("pk").first()
    Unit.objects.filter(pk=real.pk).update(
        review_status=UnitReviewStatus.PENDING, review_reasons=["identity_hint"]
    )
    admin = _client(admin_user)
    url = f"/ratings/campaigns/{calibrated.pk}/review/"
    html = admin.get(url).content.decode()
    badge = '<span class="badge calibration-unit">Calibration unit</span>'
    assert f"<h2>{withheld.blind_code} {badge}" in html
    assert f"<h2>{real.blind_code} <span" in html and html.count(badge) == 1
    html = admin.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert f'<h2>{withheld.blind_code} <span class="badge calibration-unit">校准单元</span>' in html

    body = admin_api.get(f"/api/v1/campaigns/{calibrated.pk}/review/").json()
    assert {entry["blind_code"]: entry["is_calibration"] for entry in body} == {
        withheld.blind_code: True,
        real.blind_code: False,
    }


def test_queue_and_progress_with_a_withheld_calibration_unit_make_constant_queries(
    calibrated, expert1, expert2, expert3, admin_user, django_assert_num_queries
):
    withheld = _flagged_calibration_unit(calibrated, expert1)
    _rate_other_calibration_units(calibrated, expert2, withheld, [2, 5])
    client = _client(expert2)
    client.get("/rate/")
    # session, user (with the expert profile), the queue's assignments, the calibration rows
    with django_assert_num_queries(4):
        html = client.get("/rate/").content.decode()
    assert 'id="calibration-waiting"' in html

    admin = _client(admin_user)
    pages = {
        # user, the campaign; progress: assignments, ratings, units; calibration: the rows, the
        # missed ratings, the withheld units with who waits; drift; the expert-profile check.
        f"/ratings/campaigns/{calibrated.pk}/progress/": 10,
        # user, the campaign with its counts, its endpoints, the ratings that refuse its
        # deletion; calibration: the rows, the missed ratings, the withheld units with who
        # waits; the units short of raters; the user who created the campaign.
        f"/admin/ratings/campaign/{calibrated.pk}/change/": 9,
    }
    assert queries_per_page(admin, pages) == pages
    _rate_other_calibration_units(calibrated, expert3, withheld, [2, 5])
    assert queries_per_page(admin, pages) == pages
    progress, change = (admin.get(url).content.decode() for url in pages)
    assert f'<td><code>{withheld.blind_code}</code></td><td class="experts-waiting">2</td>' in (
        progress
    )
    assert f"{withheld.blind_code} is withheld for review; experts waiting: 2" in change


# --------------------------------------------------------------------------------------------
# Progress figures: the campaign's real units, calibration apart


def test_progress_figures_count_real_units_and_show_calibration_apart(
    calibrated, expert2, admin_user, researcher_api
):
    """21 real units of two raters (42 assignments) and 3 calibration units every one of the
    three experts rates (9 assignments). expert2 rates the three calibration units and one real
    unit: the campaign's figures say 1 of 42 ratings and 21 units, calibration 3 of 9 apart."""
    client = _client(expert2)
    _calibrate(client, calibrated, expert2, [2, 3, 3])
    client.post(f"/rate/{_real_code(calibrated, expert2)}/submit/", {"value": 4})

    html = _client(admin_user).get(f"/ratings/campaigns/{calibrated.pk}/progress/")
    html = html.content.decode()
    assert "<strong>2 %</strong>1 / 42 ratings" in html  # 1 / 42 is 2.4%
    assert "<strong>0 / 21</strong>" in html
    assert '<strong id="calibration-ratings">3 / 9</strong>' in html
    real = Assignment.objects.filter(
        campaign=calibrated, expert__user=expert2, unit__is_calibration=False
    ).count()
    expert_row = html.split(f"({expert2.username})")[1].split("</tr>")[0]
    assert f"<td>{real}</td><td>1</td><td>0</td>" in expert_row.replace("\n", "").replace(" ", "")

    detail = researcher_api.get(f"/api/v1/campaigns/{calibrated.pk}/").json()
    assert (detail["unit_count"], detail["assignment_count"], detail["submitted_count"]) == (
        21,
        42,
        1,
    )
    assert (
        detail["calibration_unit_count"],
        detail["calibration_assignment_count"],
        detail["calibration_submitted_count"],
    ) == (3, 9, 3)
    listed = researcher_api.get("/api/v1/campaigns/").json()["results"][0]
    assert listed["unit_count"] == 21 and listed["calibration_unit_count"] == 3

    admin_list = _client(admin_user).get("/admin/ratings/campaign/").content.decode()
    assert '<td class="field-submitted_count">1 / 42</td>' in admin_list
    assert '<td class="field-unit_count">21</td>' in admin_list
