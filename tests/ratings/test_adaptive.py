"""Adaptive campaigns through the services, the API, the progress page and the admin.

Ratings go through `rating_submit` and `assignment_skip`, as an expert's work does; extra raters
appear as new assignments, decided inside the rating's transaction.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from django.core.cache import cache
from django.test import Client

from ratings.models import Assignment, AssignmentStatus, Campaign, Panel, Unit
from ratings.services import assignment_skip, campaign_create, rating_submit
from tests.conftest import _expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def eight_experts(db):
    return [_expert(f"rater{index}_expert").expert for index in range(8)]


@pytest.fixture
def eight_panel(eight_experts):
    panel = Panel.objects.create(name="Eight experts")
    panel.experts.set(eight_experts)
    return panel


def _adaptive(run, panel, **overrides):
    """Area R in English: items 1 and 2 x 2 endpoints = 4 units, k0 = 2, k_max = 4."""
    arguments = {
        "name": "Adaptive campaign",
        "run": run,
        "panel": panel,
        "languages": ["en"],
        "areas": ["R"],
        "raters_per_unit": 2,
        "adaptive": True,
        "max_raters_per_unit": 4,
        "rating_budget": 40,
        "target_ci_half_width": 0.0001,
        "seed": 17,
        "skip_review": True,
        **overrides,
    }
    return campaign_create(**arguments)


def _pending(unit) -> list[Assignment]:
    return list(
        Assignment.objects.filter(unit=unit, status=AssignmentStatus.PENDING)
        .select_related("campaign")
        .order_by("pk")
    )


def _rate_in_turn(unit, values, *, skip_after: bool = False) -> None:
    """Submit values one after the other, each to the unit's first pending assignment (extra
    raters appear as the rule decides); optionally skip the assignment left pending after."""
    for value in values:
        pending = _pending(unit)
        assert pending, f"no rater left for value {value} of unit {unit.blind_code}"
        rating_submit(assignment=pending[0], value=value)
    if skip_after:
        (left,) = _pending(unit)
        assignment_skip(assignment=left, reason="other")


def _raters(unit) -> list[int]:
    return list(Assignment.objects.filter(unit=unit).values_list("expert_id", flat=True))


def _check_balance(campaign) -> None:
    loads = Counter(
        Assignment.objects.filter(campaign=campaign).values_list("expert_id", flat=True)
    )
    # Everyone in this panel has the same eligibility.
    counts = [loads[expert.pk] for expert in campaign.panel.experts.all()]
    assert max(counts) - min(counts) <= 1, counts


def test_units_that_disagree_get_extra_raters_up_to_k_max(finished_run, eight_panel):
    campaign = _adaptive(finished_run, eight_panel)
    agreeing, disagreeing, _c, _d = Unit.objects.filter(campaign=campaign).order_by("pk")
    assert Assignment.objects.filter(campaign=campaign).count() == 8

    _rate_in_turn(agreeing, [3, 4])
    assert len(_raters(agreeing)) == 2  # one point apart: no extra rater

    _rate_in_turn(disagreeing, [1, 3])
    assert len(_raters(disagreeing)) == 3  # two points apart: one more
    _rate_in_turn(disagreeing, [2])
    assert len(_raters(disagreeing)) == 4  # still two points apart: up to k_max
    _rate_in_turn(disagreeing, [5])
    raters = _raters(disagreeing)
    assert len(raters) == 4 and len(set(raters)) == 4  # k_max: no fifth; nobody twice
    _check_balance(campaign)


def test_the_budget_stops_extra_raters(finished_run, eight_panel):
    # 4 units x k0 2 = 8 initial ratings; a budget of 9 pays for one extra rating.
    campaign = _adaptive(finished_run, eight_panel, rating_budget=9)
    first, second, _c, _d = Unit.objects.filter(campaign=campaign).order_by("pk")
    _rate_in_turn(first, [1, 5])
    assert len(_raters(first)) == 3
    _rate_in_turn(second, [1, 5])
    assert len(_raters(second)) == 2
    body = _admin_api_get(campaign, "adaptive")
    assert body["ratings_committed"] == 9 and body["budget_spent"] and body["stopped"]
    # Spent counts the submitted ratings; left is what the rule may still assign: nothing.
    assert body["ratings_spent"] == 4 and body["ratings_pending"] == 5
    assert body["ratings_left"] == 0


def test_the_texts_say_extra_raters_stop_once_the_budget_is_assigned(
    finished_run, eight_panel, admin_user, researcher_api
):
    """A budget of 9 fully assigned with 4 ratings submitted: the progress page says the budget
    is assigned, not spent; the create form and the API schema say the same of the rule."""
    campaign = _adaptive(finished_run, eight_panel, rating_budget=9)
    first, second, _c, _d = Unit.objects.filter(campaign=campaign).order_by("pk")
    _rate_in_turn(first, [1, 5])
    _rate_in_turn(second, [1, 5])

    client = Client()
    client.force_login(admin_user)
    progress = f"/ratings/campaigns/{campaign.pk}/progress/"
    html = client.get(progress).content.decode()
    assert "The rating budget is all assigned: no more raters are added." in html
    form = client.get("/admin/ratings/campaign/add/").content.decode()
    assert "until the alpha CI reaches its target or the whole budget is assigned" in form
    assert "Adaptive: ratings the campaign may assign, initial ones included" in form
    assert "spent" not in form
    client.cookies["django_language"] = "zh-hans"
    assert "评分预算已全部分配：不再增加评分者。" in client.get(progress).content.decode()
    form = client.get("/admin/ratings/campaign/add/").content.decode()
    assert "当 alpha 置信区间达到目标或整个预算均已分配时停止" in form
    assert "本评分活动可分配的评分数，包括初始评分" in form
    # The fields are named in Chinese too, not by their English attribute names.
    for chinese in ("每单元最多评分者数", "评分预算", "目标置信区间半宽", "校准单元", "合格阈值"):
        assert f">{chinese}:</label>" in form, chinese
    for english in ("Max raters per unit", "Rating budget", "Target ci half width", "Gold:"):
        assert english not in form, english

    schema = researcher_api.get("/api/v1/schema/?format=json").json()
    budget = schema["components"]["schemas"]["CampaignCreateRequest"]["properties"]["rating_budget"]
    assert "extra raters stop once this many are assigned, rated or not" in budget["description"]


def test_reaching_the_target_precision_stops_extra_raters(finished_run, eight_panel):
    from ratings.adaptive import campaign_precision

    loose = _adaptive(finished_run, eight_panel, target_ci_half_width=0.99)
    units = list(Unit.objects.filter(campaign=loose).order_by("pk"))
    for unit, values in zip(units, ([1, 1], [5, 5], [2, 2], [1, 3]), strict=True):
        _rate_in_turn(unit, values)
    precision = campaign_precision(campaign=loose)
    assert precision.ci_half_width is not None and precision.ci_half_width <= 0.99
    assert precision.pairable_units == 4
    assert len(_raters(units[3])) == 2  # it disagrees, but the target is met

    loose.delete()
    strict = _adaptive(finished_run, eight_panel, target_ci_half_width=0.0001, name="Strict")
    units = list(Unit.objects.filter(campaign=strict).order_by("pk"))
    for unit, values in zip(units, ([1, 1], [5, 5], [2, 2], [1, 3]), strict=True):
        _rate_in_turn(unit, values)
    assert len(_raters(units[3])) == 3


def _three_panel() -> Panel:
    panel = Panel.objects.create(name="Three experts")
    panel.experts.set([_expert(f"rater{index}_expert").expert for index in range(3)])
    return panel


def test_a_deactivated_expert_is_not_given_an_extra_unit(finished_run):
    """Three experts, k0 2, k_max 3: the only expert not on a disagreeing unit has been
    deactivated (cannot sign in), so the unit is left at its two raters instead of waiting
    forever for a rating nobody can give."""
    campaign = _adaptive(finished_run, _three_panel(), max_raters_per_unit=3)
    unit = Unit.objects.filter(campaign=campaign).order_by("pk").first()
    (absent,) = campaign.panel.experts.exclude(pk__in=_raters(unit))
    absent.user.is_active = False
    absent.user.save(update_fields=["is_active"])

    _rate_in_turn(unit, [1, 5])

    assert absent.pk not in _raters(unit) and len(_raters(unit)) == 2
    assert not Assignment.objects.filter(expert=absent, unit=unit).exists()


def test_an_expert_added_to_the_panel_later_gets_no_extra_unit_of_a_calibrated_campaign(
    finished_run,
):
    """An expert who joined the panel after the campaign was created has no calibration in it,
    so its real units are never shown to them: the extra rater is one of the calibrated
    experts instead."""
    from ratings.services import GoldUnit

    gold = finished_run.trials.filter(language="en", item__area="I").order_by("pk").first()
    campaign = _adaptive(
        finished_run,
        _three_panel(),
        max_raters_per_unit=3,
        qualification_threshold=0.5,
        gold=[GoldUnit(trial_id=gold.pk, expected_min=2, expected_max=3, calibration=True)],
    )
    latecomer = _expert("late_expert").expert
    campaign.panel.experts.add(latecomer)
    for assignment in Assignment.objects.filter(
        campaign=campaign, unit__is_calibration=True
    ).select_related("campaign"):
        rating_submit(assignment=assignment, value=2)  # everyone qualifies
    unit = Unit.objects.filter(campaign=campaign, is_calibration=False).order_by("pk").first()

    _rate_in_turn(unit, [1, 5])

    raters = _raters(unit)
    assert len(raters) == 3 and latecomer.pk not in raters
    assert not Assignment.objects.filter(expert=latecomer).exists()


def test_same_seed_and_order_of_ratings_give_the_same_extra_raters(finished_run, eight_panel):
    outcomes = []
    for name in ("First", "Second"):
        campaign = _adaptive(finished_run, eight_panel, name=name)
        for unit, values in zip(
            Unit.objects.filter(campaign=campaign).order_by("trial_id"),
            ([1, 4, 2], [2, 2], [5, 3, 1, 2], [3, 4]),
            strict=True,
        ):
            _rate_in_turn(unit, values)
        outcomes.append(
            sorted(
                Assignment.objects.filter(campaign=campaign).values_list(
                    "unit__trial_id", "expert_id", "position"
                )
            )
        )
        _check_balance(campaign)
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0]) == 8 + 2 + 2  # two extra raters each for the first and third


def test_alpha_of_unequal_raters_per_unit_matches_the_hand_computed_value(
    finished_run, eight_panel, researcher_api
):
    """Four units rated by 3, 2, 4 and 2 experts, through the adaptive rule and a skip.

    Values 1..3. Each unit u with m_u ratings adds (n_uc n_uk - [c = k] n_uc) / (m_u - 1) to
    the coincidence o_ck (Krippendorff 2011):

      U1 {1, 2, 3}, m = 3, weight 1/2: o12 = o21 = o13 = o31 = o23 = o32 = 1/2
      U2 {3, 3},    m = 2, weight 1:   o33 += 2
      U3 {1, 3, 3, 3}, m = 4, weight 1/3: o13 = o31 += 3/3 = 1, o33 += (9 - 3)/3 = 2
      U4 {2, 2},    m = 2:             o22 += 2

      o = [[0, .5, 1.5], [.5, 2, .5], [1.5, .5, 4]];  n1 = 2, n2 = 3, n3 = 6, n = 11

    nominal:  D_o = (off-diagonal sum 5) / 11;  D_e = (121 - 4 - 9 - 36) / (11 * 10) = 72 / 110
              alpha = 1 - (5/11) / (72/110) = 1 - 50/72 = 11/36
    interval: D_o = (2 * .5 * 1 + 2 * 1.5 * 4 + 2 * .5 * 1) / 11 = 14/11
              D_e = 2 * (2*3*1 + 2*6*4 + 3*6*1) / 110 = 144/110
              alpha = 1 - (14/11) / (144/110) = 1 - 140/144 = 1/36
    ordinal:  d12 = (n1 + n2 - (n1 + n2)/2)^2 = 2.5^2 = 6.25, d23 = 4.5^2 = 20.25,
              d13 = (n1 + n2 + n3 - (n1 + n3)/2)^2 = (11 - 4)^2 = 49
              sum o d = 2 * (.5 * 6.25 + 1.5 * 49 + .5 * 20.25) = 173.5
              D_e = 2 * (2*3*6.25 + 2*6*49 + 3*6*20.25) / 110 = 1980/110 = 18
              alpha = 1 - (173.5/11) / 18 = 24.5/198 = 49/396
    """
    campaign = _adaptive(finished_run, eight_panel)
    units = list(Unit.objects.filter(campaign=campaign).order_by("pk"))
    _rate_in_turn(units[0], [1, 3, 2], skip_after=True)  # 1, 3 disagree; 2 keeps the range
    _rate_in_turn(units[1], [3, 3])
    _rate_in_turn(units[2], [1, 3, 3, 3])
    _rate_in_turn(units[3], [2, 2])
    raters = [len(Assignment.objects.filter(unit=unit)) for unit in units]
    assert raters == [4, 2, 4, 2]  # U1's fourth rater skipped

    expected = {
        "nominal": Fraction(11, 36),
        "interval": Fraction(1, 36),
        "ordinal": Fraction(49, 396),
    }
    for level, value in expected.items():
        cache.clear()
        response = researcher_api.get(
            f"/api/v1/campaigns/{campaign.pk}/agreement/?level={level}&bootstrap=0"
        )
        assert response.status_code == 200, response.content
        result = response.json()["result"]
        assert result["n_pairable_values"] == 11
        assert result["alpha"] == pytest.approx(float(value), abs=1e-12), level


def _admin_api_get(campaign, action):
    from careers.permissions import STUDY_ADMIN
    from tests.conftest import _client_for, _user

    client = _client_for(_user(f"admin_{campaign.pk}_{action}", STUDY_ADMIN, staff=True))
    response = client.get(f"/api/v1/campaigns/{campaign.pk}/{action}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_api_progress_page_and_admin_show_the_stopping_rule(
    finished_run, eight_panel, admin_user, researcher_api
):
    campaign = _adaptive(finished_run, eight_panel, rating_budget=30, target_ci_half_width=0.05)
    first, *_rest = Unit.objects.filter(campaign=campaign).order_by("pk")
    _rate_in_turn(first, [1, 5])

    body = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/adaptive/").json()
    assert body["adaptive"] is True
    assert body["target_ci_half_width"] == 0.05 and body["rating_budget"] == 30
    assert body["ratings_spent"] == 2 and body["ratings_committed"] == 9
    # 30 budgeted, 9 assigned (2 rated, 7 not yet): 21 left to assign.
    assert body["ratings_pending"] == 7 and body["ratings_left"] == 21
    assert body["units_with_extra_raters"] == 1
    assert body["extra_assignments"] == 1
    assert "0.05" in body["rule"] and "30 ratings are assigned" in body["rule"]
    # One pairable unit: its bootstrap interval has no width, and is not trusted to stop.
    assert body["ci_half_width"] == 0.0 and body["pairable_units"] == 1
    assert body["target_reached"] is False and body["stopped"] is False
    detail = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert detail["adaptive"] is True and detail["max_raters_per_unit"] == 4

    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/ratings/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'id="adaptive-progress"' in html
    assert '<strong id="ratings-spent">2 / 30</strong>' in html
    assert '<strong id="ratings-pending">7</strong>' in html
    assert '<strong id="ratings-left">21</strong>' in html
    assert '<strong id="units-extra">1</strong>' in html
    html = client.get(f"/admin/ratings/campaign/{campaign.pk}/change/").content.decode()
    assert (
        "Ratings spent: 2, assigned and not yet rated: 7, left to assign: 21. Units with extra "
        "raters: 1."
    ) in html


def test_a_fixed_campaign_answers_that_it_is_not_adaptive(researcher_api, campaign):
    body = researcher_api.get(f"/api/v1/campaigns/{campaign.pk}/adaptive/").json()
    assert body == {"adaptive": False}


def _definition(run, panel, **changes):
    definition = {
        "name": "Adaptive API campaign",
        "run": run.pk,
        "panel": panel.pk,
        "languages": ["en"],
        "areas": ["R"],
        "raters_per_unit": 2,
        "adaptive": True,
        "max_raters_per_unit": 4,
        "rating_budget": 20,
        "target_ci_half_width": 0.05,
    }
    definition.update(changes)
    return definition


def test_study_admin_creates_an_adaptive_campaign(admin_api, finished_run, eight_panel):
    response = admin_api.post(
        "/api/v1/campaigns/", _definition(finished_run, eight_panel), format="json"
    )
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert (campaign.adaptive, campaign.max_raters_per_unit, campaign.rating_budget) == (
        True,
        4,
        20,
    )
    assert campaign.target_ci_half_width == 0.05


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"raters_per_unit": 3, "max_raters_per_unit": 2}, "max_raters_per_unit", "at least"),
        ({"rating_budget": 7}, "rating_budget", "below the initial ratings"),
        ({"target_ci_half_width": 0}, "target_ci_half_width", "strictly between 0 and 1"),
        ({"target_ci_half_width": 1.5}, "target_ci_half_width", "strictly between 0 and 1"),
        ({"target_ci_half_width": -0.1}, "target_ci_half_width", "strictly between 0 and 1"),
        ({"raters_per_unit": 1, "max_raters_per_unit": 3}, "raters_per_unit", "at least 2"),
        ({"max_raters_per_unit": None}, "max_raters_per_unit", "required"),
        ({"adaptive": False}, "rating_budget", "only an adaptive campaign"),
        ({"rating_budget": 2**31}, "rating_budget", "at most 2147483647"),
        ({"rating_budget": 10**20}, "rating_budget", "at most 2147483647"),
        ({"max_raters_per_unit": 10**20}, "max_raters_per_unit", "at most 2147483647"),
    ],
)
def test_bad_adaptive_settings_are_a_400_naming_the_field_and_create_nothing(
    admin_api, finished_run, eight_panel, changes, field, reason
):
    response = admin_api.post(
        "/api/v1/campaigns/", _definition(finished_run, eight_panel, **changes), format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert reason in str(body[field])
    assert not Campaign.objects.exists() and not Unit.objects.exists()
    assert not Assignment.objects.exists()


# The queries of each page; both start with the user (the session comes from the cache) and the
# campaign with its run and panel (the admin: with its counts), and neither grows with the
# ratings. The progress page: the assignments, the ratings, the unit count; the stopping rule's
# assignment counts, units with extra raters, ratings frame (alpha), scale values and unit count;
# drift (the ratings with their times); the navigation's expert-profile check. Calibration makes
# none: the campaign has no threshold. The admin: the campaign's endpoints, the ratings that
# refuse its deletion, the stopping rule's five, the units short of raters.
ADAPTIVE_PAGES = [
    ("/ratings/campaigns/{pk}/progress/", 12, '<strong id="units-extra">{extended}</strong>'),
    ("/admin/ratings/campaign/{pk}/change/", 10, "Units with extra raters: {extended}."),
]


@pytest.mark.parametrize(("url", "queries", "shown"), ADAPTIVE_PAGES)
def test_pages_of_an_adaptive_campaign_make_a_constant_number_of_queries(
    finished_run, eight_panel, admin_user, django_assert_num_queries, url, queries, shown
):
    campaign = _adaptive(finished_run, eight_panel)
    client = Client()
    client.force_login(admin_user)
    url = url.format(pk=campaign.pk)
    first, *others = Unit.objects.filter(campaign=campaign).order_by("pk")
    _rate_in_turn(first, [1, 4])
    client.get(url)
    with django_assert_num_queries(queries):
        client.get(url)
    for unit in others:
        _rate_in_turn(unit, [1, 4])
    with django_assert_num_queries(queries):
        html = client.get(url).content.decode()
    extended = sum(
        Assignment.objects.filter(unit=unit).count() > 2
        for unit in Unit.objects.filter(campaign=campaign)
    )
    assert extended >= 1
    assert shown.format(extended=extended) in html


def test_units_that_waited_get_their_raters_in_the_seeded_queue_order(finished_run, eight_panel):
    """Three units wait for an extra rater (rated two or more points apart, both raters
    finished: written as such, as when no expert was free at a balanced load). The fourth's disagreeing rating adds
    its rater, then retries them: they join the end of their new queues in the campaign's
    seeded `queue_order` of their work samples, as handed-on units do, not by unit id."""
    from ratings.adaptive_assignment import queue_order
    from ratings.models import Rating

    for seed in range(20):
        campaign = _adaptive(
            finished_run, eight_panel, name=f"Seed {seed}", seed=seed, max_raters_per_unit=3
        )
        *waiting, last = Unit.objects.filter(campaign=campaign).order_by("pk")
        by_id = [unit.trial_id for unit in waiting]
        if queue_order(by_id, seed=seed) != by_id:
            break
    else:
        pytest.fail("no seed orders the waiting units otherwise than by id")
    # Different pairs: identical units would give the alpha a CI of no width, met at once.
    for unit, values in zip(waiting, ((1, 3), (2, 5), (5, 1)), strict=True):
        for assignment, value in zip(_pending(unit), values, strict=True):
            Rating.objects.create(assignment=assignment, revision=1, value=value)
            assignment.status = AssignmentStatus.SUBMITTED
            assignment.save(update_fields=["status"])
    initial = set(Assignment.objects.filter(campaign=campaign).values_list("pk", flat=True))

    _rate_in_turn(last, [1, 4])

    added = list(
        Assignment.objects.filter(campaign=campaign)
        .exclude(pk__in=initial)
        .order_by("pk")
        .values_list("unit__trial_id", "expert_id", "position")
    )
    assert [trial for trial, _expert, _position in added] == [
        last.trial_id,
        *queue_order(by_id, seed=seed),
    ]
    # Each joined the end of its expert's queue.
    for _trial, expert_id, position in added:
        assert position == max(
            Assignment.objects.filter(campaign=campaign, expert_id=expert_id).values_list(
                "position", flat=True
            )
        )
    _check_balance(campaign)
