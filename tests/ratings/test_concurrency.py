"""Two submissions of the same assignment at the same moment, on two PostgreSQL connections.

The assignment row is locked (SELECT ... FOR UPDATE) for the whole submission, so the second
one sees the first one's result: the same submission id is recognised and returns the same
rating; a different one is refused as already submitted. Either way there is one rating.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.db import connection

from ratings.models import Assignment, Rating
from ratings.services import RatingConflict, rating_submit

pytestmark = [pytest.mark.integration]

ROUNDS = 6


def _at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each result or raised exception is kept."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _assignments(campaign, expert_user) -> list[Assignment]:
    return list(
        Assignment.objects.filter(campaign=campaign, expert__user=expert_user).order_by("position")[
            :ROUNDS
        ]
    )


def test_double_submission_with_one_id_makes_one_rating(
    integration_services, transactional_db, campaign, expert1
):
    assert connection.vendor == "postgresql"
    for assignment in _assignments(campaign, expert1):
        submission = uuid.uuid4()
        results = _at_once(
            [
                lambda a=assignment, s=submission: rating_submit(
                    assignment=a, value=4, submission_id=s
                )
            ]
            * 2
        )
        assert all(isinstance(result, Rating) for result in results), results
        assert results[0].pk == results[1].pk
        assert Rating.objects.filter(assignment=assignment).count() == 1


def test_two_different_submissions_make_one_rating_and_one_conflict(
    integration_services, transactional_db, campaign, expert1
):
    assert connection.vendor == "postgresql"
    for assignment in _assignments(campaign, expert1):
        results = _at_once(
            [
                lambda a=assignment, v=value: rating_submit(
                    assignment=a, value=v, submission_id=uuid.uuid4()
                )
                for value in (2, 5)
            ]
        )
        ratings = [result for result in results if isinstance(result, Rating)]
        conflicts = [result for result in results if isinstance(result, RatingConflict)]
        assert len(ratings) == 1 and len(conflicts) == 1, results
        assert conflicts[0].code == "already_submitted"
        stored = Rating.objects.get(assignment=assignment)
        assert (stored.revision, stored.value) == (1, ratings[0].value)


def _overlapping(first: Callable[[], object], second: Callable[[], object]) -> list[object]:
    """first runs in a transaction held open until second has started: second then overlaps an
    uncommitted first, the moment where a decision could be lost or taken twice."""
    from django.db import transaction

    submitted, started = threading.Event(), threading.Event()

    def run_first():
        with transaction.atomic():
            result = first()
            submitted.set()
            started.wait(timeout=10)
            time.sleep(0.3)  # second is now blocked on a lock, or racing past it
        return result

    def run_second():
        submitted.wait(timeout=10)
        started.set()
        return second()

    return _at_once([run_first, run_second])


def _adaptive_campaign(finished_run, *, experts: int, k_max: int = 3):
    from ratings.models import Panel
    from ratings.services import campaign_create
    from tests.conftest import _expert

    panel = Panel.objects.create(name="Concurrent panel")
    panel.experts.set([_expert(f"conc{index}_expert").expert for index in range(experts)])
    return campaign_create(
        name="Adaptive at once",
        run=finished_run,
        panel=panel,
        raters_per_unit=2,
        adaptive=True,
        max_raters_per_unit=k_max,
        rating_budget=500,
        target_ci_half_width=0.0001,
        seed=23,
        skip_review=True,
    )


def _unit_assignments(unit) -> list[Assignment]:
    return list(Assignment.objects.filter(unit=unit).select_related("campaign").order_by("pk"))


def test_two_experts_finishing_a_unit_at_once_add_exactly_one_rater(
    integration_services, transactional_db, finished_run
):
    """Adaptive, k0 = 2, k_max = 3: a unit's two raters submit 1 and 5, the second while the
    first's transaction is still open. The unit's row lock makes the second decide after the
    first commits: exactly one extra rater, never none (a decision lost between the two
    transactions) and never two (past k_max)."""
    from ratings.models import Unit

    campaign = _adaptive_campaign(finished_run, experts=12)
    assert connection.vendor == "postgresql"
    for unit in Unit.objects.filter(campaign=campaign).order_by("pk")[:4]:
        first, second = _unit_assignments(unit)
        results = _overlapping(
            lambda a=first: rating_submit(assignment=a, value=1),
            lambda a=second: rating_submit(assignment=a, value=5),
        )
        assert all(isinstance(result, Rating) for result in results), results
        raters = [assignment.expert_id for assignment in _unit_assignments(unit)]
        assert len(raters) == 3 and len(set(raters)) == 3


def test_two_units_extended_at_once_keep_the_loads_balanced(
    integration_services, transactional_db, finished_run
):
    """Eleven of twelve experts already carry one extra unit; two units are finished at once.
    Both decisions would pick the one expert left at the lowest load; the campaign's row lock
    makes the second see the first's pick, so loads stay within one of each other."""
    from collections import Counter

    from ratings.models import Unit

    campaign = _adaptive_campaign(finished_run, experts=12, k_max=3)
    units = list(Unit.objects.filter(campaign=campaign).order_by("pk"))
    extended = 0
    for unit in units:
        if extended == 11:
            break
        first, second = _unit_assignments(unit)
        rating_submit(assignment=first, value=1)
        rating_submit(assignment=second, value=5)
        extended += len(_unit_assignments(unit)) == 3
    loads = Counter(
        Assignment.objects.filter(campaign=campaign).values_list("expert_id", flat=True)
    )
    (lowest,) = [expert for expert, load in loads.items() if load == min(loads.values())]
    untouched = [
        unit
        for unit in units
        if len(_unit_assignments(unit)) == 2
        and lowest not in {a.expert_id for a in _unit_assignments(unit)}
    ]
    x, y = untouched[:2]
    rating_submit(assignment=_unit_assignments(x)[0], value=1)
    rating_submit(assignment=_unit_assignments(y)[0], value=1)
    results = _overlapping(
        lambda: rating_submit(assignment=_unit_assignments(x)[1], value=5),
        lambda: rating_submit(assignment=_unit_assignments(y)[1], value=5),
    )
    assert all(isinstance(result, Rating) for result in results), results
    assert len(_unit_assignments(x)) == 3 and len(_unit_assignments(y)) == 3
    loads = Counter(
        Assignment.objects.filter(campaign=campaign).values_list("expert_id", flat=True)
    )
    assert max(loads.values()) - min(loads.values()) <= 1, loads


def test_two_experts_dropping_out_at_once_keep_the_loads_balanced(
    integration_services, transactional_db, finished_run
):
    """Two experts of an adaptive campaign are deactivated at once, the second while the first's
    transaction is still open. Their units are handed on one decision after the other (the
    units' and the campaign's row locks), so the second counts the first's handed-on units:
    loads stay within one, every unit keeps its two raters and nobody gets a unit twice."""
    from collections import Counter

    from ratings.models import Reassignment, Unit

    campaign = _adaptive_campaign(finished_run, experts=12)
    assert connection.vendor == "postgresql"
    first, second = campaign.panel.experts.select_related("user").order_by("pk")[:2]

    def deactivate(user):
        user.is_active = False
        user.save()

    _overlapping(lambda: deactivate(first.user), lambda: deactivate(second.user))

    loads = Counter(
        Assignment.objects.filter(campaign=campaign).values_list("expert_id", flat=True)
    )
    assert first.pk not in loads and second.pk not in loads
    assert sum(loads.values()) == 2 * Unit.objects.filter(campaign=campaign).count()
    assert max(loads.values()) - min(loads.values()) <= 1, loads
    for unit in Unit.objects.filter(campaign=campaign):
        raters = [assignment.expert_id for assignment in _unit_assignments(unit)]
        assert len(raters) == 2 == len(set(raters))
    assert not Reassignment.objects.filter(to_expert__isnull=True).exists()


def _calibrated_adaptive_campaign(finished_run, panel, *, name: str):
    """Adaptive and calibrated: three calibration units (2 to 3), 2 of 3 within range needed."""
    from ratings.services import GoldUnit, campaign_create

    trials = list(finished_run.trials.filter(language="en", item__area="R").order_by("pk")[:3])
    return campaign_create(
        name=name,
        run=finished_run,
        panel=panel,
        languages=["en"],
        raters_per_unit=2,
        adaptive=True,
        max_raters_per_unit=3,
        rating_budget=500,
        target_ci_half_width=0.0001,
        gold=[
            GoldUnit(trial_id=trial.pk, expected_min=2, expected_max=3, calibration=True)
            for trial in trials
        ],
        qualification_threshold=0.66,
        seed=29,
        skip_review=True,
    )


def _assignment_of(unit, user) -> Assignment:
    return Assignment.objects.select_related("campaign").get(unit=unit, expert__user=user)


def test_a_calibration_flag_and_another_experts_last_calibration_rating_at_once(
    integration_services, transactional_db, finished_run, panel, expert1, expert2
):
    """expert1 flags calibration unit U while expert2 rates V, the last calibration unit left
    besides U, within range (2 of 3 within: qualified whatever U gets). In either order, with
    the other transaction still open, expert2 ends qualified rather than waiting for U; and a
    flag of U while expert2 rates U itself (both lock U and expert2's calibration) completes."""
    from ratings.models import Calibration, CalibrationStatus, Unit

    assert connection.vendor == "postgresql"
    for flag_first in (True, False):
        campaign = _calibrated_adaptive_campaign(
            finished_run, panel, name=f"Flag first {flag_first}"
        )
        u, v, w = Unit.objects.filter(campaign=campaign, is_calibration=True).order_by("pk")
        rating_submit(assignment=_assignment_of(w, expert2), value=2)
        flagger, rater = _assignment_of(u, expert1), _assignment_of(v, expert2)

        def flag(assignment=flagger):
            return rating_submit(assignment=assignment, value=2, flags=["identifies_model"])

        def rate(assignment=rater):
            return rating_submit(assignment=assignment, value=3)

        results = _overlapping(flag, rate) if flag_first else _overlapping(rate, flag)
        assert all(isinstance(result, Rating) for result in results), results
        calibration = Calibration.objects.get(campaign=campaign, expert__user=expert2)
        assert calibration.status == CalibrationStatus.QUALIFIED, flag_first

    campaign = _calibrated_adaptive_campaign(finished_run, panel, name="Same unit at once")
    u = Unit.objects.filter(campaign=campaign, is_calibration=True).order_by("pk").first()
    flagger, rater = _assignment_of(u, expert1), _assignment_of(u, expert2)
    results = _at_once(
        [
            lambda: rating_submit(assignment=flagger, value=2, flags=["identifies_model"]),
            lambda: rating_submit(assignment=rater, value=5),
        ]
    )
    assert all(isinstance(result, Rating) for result in results), results


def test_a_review_of_a_waiting_unit_while_another_decision_retries_it(
    integration_services, transactional_db, finished_run, admin_user
):
    """Adaptive, k0 = 2, k_max = 3. Unit W waits for an extra rater (rated 1 and 5, both raters
    finished, below k_max: written as such, as when no expert was free at a balanced load) and
    is back on the review list (flagged). X's second rating adds a rater to X, then retries the
    waiting units and gives W one, holding the campaign's data revision until it commits;
    meanwhile a study admin saves W's review, which locks W, then moves the revision. The new
    assignment's key check on W must not wait for that lock (a deadlock: the review waits for
    the rating's revision): both are saved, W ends with three different raters and its edited
    text, and the loads stay within one."""
    from collections import Counter

    from ratings.models import AssignmentStatus, Unit, UnitReviewStatus
    from ratings.services import unit_review_save

    campaign = _adaptive_campaign(finished_run, experts=12)
    assert connection.vendor == "postgresql"
    w, x = Unit.objects.filter(campaign=campaign).order_by("pk")[:2]
    for assignment, value in zip(_unit_assignments(w), (1, 5), strict=True):
        Rating.objects.create(assignment=assignment, revision=1, value=value)
        assignment.status = AssignmentStatus.SUBMITTED
        assignment.save(update_fields=["status"])
    Unit.objects.filter(pk=w.pk).update(
        review_status=UnitReviewStatus.PENDING, review_reasons=["flagged_by_expert"]
    )
    rating_submit(assignment=_unit_assignments(x)[0], value=1)
    results = _overlapping(
        lambda: rating_submit(assignment=_unit_assignments(x)[1], value=5),
        lambda: unit_review_save(unit=w, by=admin_user, text="Edited by the study admin."),
    )
    assert isinstance(results[0], Rating) and isinstance(results[1], Unit), results
    w.refresh_from_db()
    assert w.text_redacted == "Edited by the study admin."
    assert w.review_status == UnitReviewStatus.APPROVED
    assert len(_unit_assignments(x)) == 3
    raters = [assignment.expert_id for assignment in _unit_assignments(w)]
    assert len(raters) == 3 == len(set(raters)), raters
    loads = Counter(
        Assignment.objects.filter(campaign=campaign).values_list("expert_id", flat=True)
    )
    assert max(loads.values()) - min(loads.values()) <= 1, loads


def test_an_expert_deactivated_while_a_rating_adds_a_rater(
    integration_services, transactional_db, finished_run, monkeypatch
):
    """Adaptive, k0 = 2, k_max = 3. Unit X's second rating disagrees with its first; its
    decision is held between locking X and locking the campaign while another expert, D, is
    deactivated. D's drop-out must wait for the rating (whose insert moved the campaign's data
    revision) before it takes the campaign, not take the campaign and then wait for the
    revision as it withdraws D's units (a deadlock): both are saved, X gets its extra rater, D
    holds no unfinished unit, every unit keeps its raters and the loads stay within one."""
    from collections import Counter

    import ratings.adaptive
    from ratings.models import AssignmentStatus, Unit

    campaign = _adaptive_campaign(finished_run, experts=12)
    assert connection.vendor == "postgresql"
    x = Unit.objects.filter(campaign=campaign).order_by("pk").first()
    first, second = _unit_assignments(x)
    rating_submit(assignment=first, value=1)
    d = (
        campaign.panel.experts.exclude(pk__in=[first.expert_id, second.expert_id])
        .select_related("user")
        .order_by("pk")
        .first()
    )
    deciding = threading.Event()
    needs_extra_rater = ratings.adaptive.needs_extra_rater

    def held(**kwargs):
        needed = needs_extra_rater(**kwargs)
        deciding.set()
        time.sleep(0.5)  # the deactivation now runs up to the lock it waits for
        return needed

    monkeypatch.setattr(ratings.adaptive, "needs_extra_rater", held)

    def deactivate():
        deciding.wait(timeout=10)
        d.user.is_active = False
        d.user.save()
        return d.user

    results = _at_once([lambda: rating_submit(assignment=second, value=5), deactivate])
    assert isinstance(results[0], Rating) and results[1] == d.user, results
    assert len(_unit_assignments(x)) == 3
    assert not Assignment.objects.filter(
        campaign=campaign, expert=d, status__in=(AssignmentStatus.PENDING, AssignmentStatus.DRAFT)
    ).exists()
    for unit in Unit.objects.filter(campaign=campaign):
        raters = [assignment.expert_id for assignment in _unit_assignments(unit)]
        assert len(raters) >= 2 and len(raters) == len(set(raters)), raters
    loads = Counter(
        Assignment.objects.filter(campaign=campaign)
        .exclude(expert=d)
        .values_list("expert_id", flat=True)
    )
    assert max(loads.values()) - min(loads.values()) <= 1, loads


def _wait_until_blocked(done: threading.Event, *, timeout: float = 15) -> None:
    """Until another connection to the database waits for a lock, or done is set."""
    _wait_until_waiting(1, done=done, timeout=timeout)


def _wait_until_waiting(count: int, *, done: threading.Event, timeout: float = 15) -> None:
    """Until count other connections to the database wait for a lock, or done is set. Within a
    transaction PostgreSQL keeps the first statistics read until it ends: each poll clears them,
    or a connection that started waiting meanwhile would never be seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.05)


def test_an_expert_deactivated_while_their_last_calibration_rating_turns_them_away(
    integration_services, transactional_db, finished_run, panel, expert1, monkeypatch
):
    """expert1 has missed two of three calibration units; the third rating misses too and turns
    them away, and its transaction (which moved the campaign's data revision with the rating)
    is held before it hands their real units on, while expert1's account is deactivated. The
    deactivation's drop-out must wait for the rating before it locks expert1's real
    assignments, not lock them and then wait for the revision (a deadlock: the rating's own
    drop-out waits for those assignments). Both are saved and the units are handed on once."""
    from django.contrib.auth import get_user_model

    import ratings.calibration
    from ratings.models import (
        AssignmentStatus,
        Calibration,
        CalibrationStatus,
        DropOutReason,
        Reassignment,
        Unit,
    )

    campaign = _calibrated_adaptive_campaign(finished_run, panel, name="Turned away at once")
    assert connection.vendor == "postgresql"
    first, second, third = Unit.objects.filter(campaign=campaign, is_calibration=True).order_by(
        "pk"
    )
    for unit in (first, second):
        rating_submit(assignment=_assignment_of(unit, expert1), value=5)
    unfinished = Assignment.objects.filter(
        campaign=campaign,
        expert__user=expert1,
        unit__is_calibration=False,
        status__in=(AssignmentStatus.PENDING, AssignmentStatus.DRAFT),
    )
    real = unfinished.count()
    assert real > 0
    last = _assignment_of(third, expert1)
    failing, deactivated = threading.Event(), threading.Event()
    drop_out = ratings.calibration.expert_drop_out

    def held(**kwargs):
        failing.set()
        _wait_until_blocked(deactivated)  # the deactivation now waits for a lock
        return drop_out(**kwargs)

    monkeypatch.setattr(ratings.calibration, "expert_drop_out", held)

    def deactivate():
        try:
            failing.wait(timeout=10)
            user = get_user_model().objects.get(pk=expert1.pk)
            user.is_active = False
            user.save()
            return user
        finally:
            deactivated.set()

    results = _at_once([lambda: rating_submit(assignment=last, value=5), deactivate])
    assert isinstance(results[0], Rating) and results[1] == expert1, results
    calibration = Calibration.objects.get(campaign=campaign, expert__user=expert1)
    assert calibration.status == CalibrationStatus.NOT_QUALIFIED
    assert not unfinished.exists()
    log = Reassignment.objects.filter(campaign=campaign, from_expert__user=expert1)
    assert log.count() == real
    assert set(log.values_list("reason", flat=True)) == {DropOutReason.NOT_QUALIFIED}
    for unit in Unit.objects.filter(campaign=campaign):
        raters = [assignment.expert_id for assignment in _unit_assignments(unit)]
        assert len(raters) == len(set(raters)), raters


def test_a_drop_out_while_the_campaign_is_opened_from_review_and_a_rating_adds_a_rater(
    integration_services, transactional_db, finished_run, admin_user, monkeypatch
):
    """Adaptive, k0 = 2, k_max = 3, awaiting review. Expert D (deactivated without a signal, as a
    bulk update does) drops out: the drop-out reads the campaign awaiting review, and the study
    admin opens it before the drop-out locks it. Then unit X's second rating disagrees with its
    first and, holding the data revision its insert moved, waits for the campaign to add a
    rater. The drop-out must not hold the campaign and then wait for the revision (a
    deadlock): both are saved, X gets its extra rater and D holds no unfinished unit."""
    from django.contrib.auth import get_user_model

    import ratings.dropout
    from ratings.dropout import expert_drop_out
    from ratings.models import AssignmentStatus, Campaign, CampaignStatus, DropOutReason, Unit
    from ratings.services import campaign_open

    campaign = _adaptive_campaign(finished_run, experts=12)
    assert connection.vendor == "postgresql"
    x = Unit.objects.filter(campaign=campaign).order_by("pk").first()
    first, second = _unit_assignments(x)
    rating_submit(assignment=first, value=1)
    d = (
        campaign.panel.experts.exclude(pk__in=[first.expert_id, second.expert_id])
        .order_by("pk")
        .first()
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.REVIEW)
    get_user_model().objects.filter(pk=d.user_id).update(is_active=False)
    reading, opened, locked, rated = (threading.Event() for _ in range(4))
    withdrawn_locked = ratings.dropout._withdrawn_locked
    calls = []

    def held(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            reading.set()
            opened.wait(timeout=10)  # opened after the drop-out read it awaiting review
        elif len(calls) == 2:
            locked.set()
            _wait_until_blocked(rated)  # the rating now waits for a lock, or is done
        return withdrawn_locked(*args, **kwargs)

    monkeypatch.setattr(ratings.dropout, "_withdrawn_locked", held)

    def drop():
        return expert_drop_out(campaign=campaign, expert_id=d.pk, reason=DropOutReason.DEACTIVATED)

    def open_campaign():
        try:
            reading.wait(timeout=10)
            return campaign_open(campaign=campaign, by=admin_user)
        finally:
            opened.set()

    def rate():
        try:
            locked.wait(timeout=10)
            return rating_submit(assignment=second, value=5)
        finally:
            rated.set()

    results = _at_once([drop, open_campaign, rate])
    assert isinstance(results[0], list) and results[0], results
    assert isinstance(results[1], Campaign) and results[1].status == CampaignStatus.OPEN, results
    assert isinstance(results[2], Rating), results
    assert len(_unit_assignments(x)) == 3
    assert not Assignment.objects.filter(
        campaign=campaign, expert=d, status__in=(AssignmentStatus.PENDING, AssignmentStatus.DRAFT)
    ).exists()
    for unit in Unit.objects.filter(campaign=campaign):
        raters = [assignment.expert_id for assignment in _unit_assignments(unit)]
        assert len(raters) >= 2 and len(raters) == len(set(raters)), raters


def test_an_expert_submitting_a_unit_handed_to_them_while_they_drop_out(
    integration_services, transactional_db, finished_run, monkeypatch
):
    """Adaptive, k0 = 2, k_max = 3. Expert D is deactivated (in a transaction, as the admin's
    user page saves) while unit X's second rating, which disagrees with its first, is deciding:
    D's drop-out locks D's assignments, then waits for the data revision the rating moved. The
    rating gives D the extra unit X (D's deactivation is not committed yet) and commits. While
    the drop-out waits for one of D's units (another connection holds it), D submits X: the
    submission holds D's new assignment and waits for the revision the drop-out now holds. The
    drop-out, holding the campaign, reads D's assignments again and finds the new one; it must
    not wait for its lock (a deadlock: one of the two would fail). Both are saved: D's rating of
    X is kept (a submission in flight finishes, as before the drop-out's first lock), D holds
    no unfinished unit, every earlier unit of D is handed on once and X has its three raters."""
    from django.contrib.auth import get_user_model

    import ratings.adaptive
    from ratings.adaptive import _pool
    from ratings.adaptive_assignment import choose_extra_rater
    from ratings.assignment import UnitSpec
    from ratings.models import AssignmentStatus, Reassignment, Unit

    campaign = _adaptive_campaign(finished_run, experts=12)
    assert connection.vendor == "postgresql"
    x = Unit.objects.filter(campaign=campaign).select_related("item").order_by("pk").first()
    first, second = _unit_assignments(x)
    rating_submit(assignment=first, value=1)
    pool = _pool(campaign, committed=0)
    d = choose_extra_rater(
        unit=UnitSpec(key=x.trial_id, language=x.language, area=x.item.area, stratum=None),
        experts=pool.experts,
        current_raters={first.expert_id, second.expert_id},
        loads=pool.loads,
        groups=pool.groups,
        seed=campaign.seed,
        match_expertise=campaign.match_expertise,
    )
    assert d is not None
    unfinished = Assignment.objects.filter(
        campaign=campaign,
        expert_id=d,
        status__in=(AssignmentStatus.PENDING, AssignmentStatus.DRAFT),
    )
    earlier = set(unfinished.values_list("unit_id", flat=True))
    held_unit = min(earlier)
    d_user = get_user_model().objects.get(expert__pk=d)

    unit_held, deciding, rated, dropped, submitted = (threading.Event() for _ in range(5))
    needs_extra_rater = ratings.adaptive.needs_extra_rater
    decisions = []

    def held(**kwargs):
        decisions.append(kwargs)
        if len(decisions) == 1:
            deciding.set()
            _wait_until_blocked(dropped)  # the drop-out now waits for the data revision
        return needs_extra_rater(**kwargs)

    monkeypatch.setattr(ratings.adaptive, "needs_extra_rater", held)

    def hold_unit():
        from django.db import transaction

        with transaction.atomic():
            list(
                Unit.objects.select_for_update(of=("self",), no_key=True)
                .filter(pk=held_unit)
                .order_by()
                .values_list("pk", flat=True)
            )
            unit_held.set()
            rated.wait(timeout=10)
            # The drop-out waits for this unit, D's submission for the data revision.
            _wait_until_waiting(2, done=submitted)
        return "released"

    def rate():
        try:
            unit_held.wait(timeout=10)
            return rating_submit(assignment=second, value=5)
        finally:
            rated.set()

    def deactivate():
        from django.db import transaction

        try:
            deciding.wait(timeout=10)
            with transaction.atomic():
                d_user.is_active = False
                d_user.save()
            return d_user
        finally:
            dropped.set()

    def submit_handed_unit():
        try:
            rated.wait(timeout=10)
            handed = Assignment.objects.select_related("campaign").get(unit=x, expert_id=d)
            return rating_submit(assignment=handed, value=3)
        finally:
            submitted.set()

    results = _at_once([hold_unit, rate, deactivate, submit_handed_unit])
    assert results[0] == "released", results
    assert isinstance(results[1], Rating), results
    assert results[2] == d_user, results
    assert isinstance(results[3], Rating), results
    handed = Assignment.objects.get(unit=x, expert_id=d)
    assert handed.status == AssignmentStatus.SUBMITTED
    assert Rating.objects.filter(assignment=handed, value=3).exists()
    assert len(_unit_assignments(x)) == 3
    assert not unfinished.exists()
    log = Reassignment.objects.filter(campaign=campaign, from_expert_id=d)
    assert sorted(log.values_list("unit_id", flat=True)) == sorted(earlier)
    for unit in Unit.objects.filter(campaign=campaign):
        raters = [assignment.expert_id for assignment in _unit_assignments(unit)]
        assert len(raters) >= 2 and len(raters) == len(set(raters)), raters
