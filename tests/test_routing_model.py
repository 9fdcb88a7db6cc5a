"""The planning model's boundary: well-formed values only, precise errors otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from routing.matrix import GreatCircle
from routing.model import (
    Appointment,
    Candidate,
    Location,
    Lunch,
    Problem,
    Rep,
    TimeWindow,
    WeeklyHours,
    clock,
    hhmm,
    replan,
    week_shifts,
)
from tests.routing_support import HOME, MONDAY, hm, shift

PARIS = Location(lat=48.8566, lon=2.3522)


def test_times_are_seconds_since_midnight() -> None:
    """ "HH:MM" converts both ways; 24:00 is the end of the day; nonsense is refused."""
    assert hhmm("08:30") == 30_600
    assert hhmm("24:00") == 86_400
    assert clock(30_659) == "08:30"
    for bad in ("8:30", "24:01", "12:60", "noon", ""):
        with pytest.raises(ValueError, match="time"):
            hhmm(bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lat": 91, "lon": 0}, "lat must be"),
        ({"lat": float("nan"), "lon": 0}, "lat must be"),
        ({"lat": 0, "lon": -181}, "lon must be"),
        ({"lat": "45", "lon": 0}, "lat must be"),
    ],
)
def test_location_rejects_impossible_coordinates(kwargs: dict, message: str) -> None:
    """Latitudes beyond the poles, NaN or strings never reach the matrix."""
    with pytest.raises(ValueError, match=message):
        Location(**kwargs)


def test_time_window_checks_its_bounds() -> None:
    """A window is whole seconds, within the day, and not reversed."""
    assert TimeWindow.of("12:00", "14:00").length == 7200
    with pytest.raises(ValueError, match="starts"):
        TimeWindow(start=hm(14), end=hm(12))
    with pytest.raises(ValueError, match="after 24:00"):
        TimeWindow(start=0, end=90_000)
    with pytest.raises(ValueError, match="whole seconds"):
        TimeWindow(start=1.5, end=10)  # type: ignore[arg-type]


def test_model_objects_are_keyword_only_and_frozen() -> None:
    """Positional arguments are refused, and a built value cannot be changed."""
    with pytest.raises(TypeError):
        Location(45.0, 4.0)  # type: ignore[misc]
    loc = Location(lat=45.0, lon=4.0)
    with pytest.raises(AttributeError):
        loc.lat = 46.0  # type: ignore[misc]


def test_weekly_hours_read_the_accounts_json() -> None:
    """Several windows a day, sorted; a missing day is closed; bad keys and overlaps fail."""
    hours = WeeklyHours.from_json(
        {"mon": [["14:00", "18:30"], ["08:30", "12:00"]], "sat": [["09:00", "12:00"]]}
    )
    assert hours.on(MONDAY) == (TimeWindow.of("08:30", "12:00"), TimeWindow.of("14:00", "18:30"))
    assert hours.on(MONDAY + timedelta(days=1)) == ()
    assert hours.on(MONDAY + timedelta(days=5)) == (TimeWindow.of("09:00", "12:00"),)
    with pytest.raises(ValueError, match="unknown weekday"):
        WeeklyHours.from_json({"monday": [["08:00", "12:00"]]})
    with pytest.raises(ValueError, match="overlap"):
        WeeklyHours.from_json({"mon": [["08:00", "12:00"], ["11:00", "14:00"]]})
    with pytest.raises(ValueError, match="window is"):
        WeeklyHours.from_json({"mon": [["08:00"]]})


def test_lunch_must_fit_its_window() -> None:
    """A one-hour lunch needs a window of at least an hour."""
    with pytest.raises(ValueError, match="does not fit"):
        Lunch(window=TimeWindow.of("12:00", "12:30"), duration=3600)
    with pytest.raises(ValueError, match="lunch duration"):
        Lunch(window=TimeWindow.of("12:00", "14:00"), duration=0)
    assert Lunch(window=TimeWindow.of("12:00", "14:00"), duration=3600).latest_start == hm(13)


def test_candidate_priority_and_flags_are_checked() -> None:
    """Priority is 1..100 whole points; pinned and excluded together make no sense."""
    base = {"id": "c", "location": HOME, "duration": 1800}
    for bad in (0, 101, 5.5, True):
        with pytest.raises(ValueError, match="priority"):
            Candidate(**base, priority=bad)
    with pytest.raises(ValueError, match="pinned and excluded"):
        Candidate(**base, priority=5, pinned=True, excluded=True)
    with pytest.raises(ValueError, match="duration"):
        Candidate(id="c", location=HOME, duration=-1, priority=5)


def test_visit_windows_fit_the_duration_and_the_hours() -> None:
    """A visit starts so that it ends before closing and inside the rep's hours."""
    s = shift(hours=(hm(9), hm(17)))
    c = Candidate(
        id="c",
        location=HOME,
        duration=1800,
        priority=5,
        opening=WeeklyHours.every_day(
            TimeWindow.of("08:00", "12:00"), TimeWindow.of("14:00", "14:20")
        ),
    )
    # 08:00-12:00 becomes starts 09:00-11:30; 14:00-14:20 is too short for 30 minutes.
    assert c.visit_windows(s) == (TimeWindow.of("09:00", "11:30"),)
    assert replace(c, reps=frozenset({"someone else"})).visit_windows(s) == ()
    assert replace(c, days=frozenset({MONDAY + timedelta(days=1)})).visit_windows(s) == ()
    assert replace(c, opening=None).visit_windows(s) == (TimeWindow.of("09:00", "16:30"),)


def test_problem_rejects_inconsistent_content() -> None:
    """Duplicate ids, an appointment without a shift, a customer met twice."""
    s = shift()
    c = Candidate(id="x", location=HOME, duration=600, priority=3)
    appt = Appointment(
        id="a",
        rep_id="rep",
        day=MONDAY,
        location=HOME,
        window=TimeWindow.of("10:00", "10:00"),
        duration=1800,
        customer_id="x",
    )
    travel = GreatCircle()
    with pytest.raises(ValueError, match="at least one shift"):
        Problem(shifts=(), travel=travel)
    with pytest.raises(ValueError, match="more than once"):
        Problem(shifts=(s,), candidates=(c, c), travel=travel)
    with pytest.raises(ValueError, match="appointment and a candidate"):
        Problem(shifts=(s,), appointments=(appt,), candidates=(c,), travel=travel)
    with pytest.raises(ValueError, match="has no shift"):
        Problem(shifts=(s,), appointments=(replace(appt, day=date(2025, 3, 4)),), travel=travel)
    with pytest.raises(ValueError, match="same rep and day"):
        Problem(shifts=(s, s), travel=travel)


def test_problem_places_and_matrix() -> None:
    """Places are deduplicated in order of use; the matrix is computed once, on demand."""
    c1 = Candidate(id="1", location=PARIS, duration=600, priority=3)
    c2 = Candidate(id="2", location=PARIS, duration=600, priority=3)
    p = Problem(shifts=(shift(),), candidates=(c1, c2), travel=GreatCircle())
    assert p.places == (HOME, PARIS)
    assert p.matrix is p.matrix
    assert p.travel_seconds(HOME, PARIS) == p.travel_seconds(PARIS, HOME) > 3 * 3600
    assert p.travel_seconds(PARIS, PARIS) == 0


def test_week_shifts_follow_nights_away() -> None:
    """After a night at the hotel, the day ends there and the next one starts there."""
    hotel = Location(lat=46.2, lon=5.22)
    rep = Rep.weekdays(id="r", start=HOME, hours=TimeWindow.of("08:00", "18:00"))
    days = [MONDAY + timedelta(days=k) for k in range(7)]
    shifts = week_shifts(rep, days, nights_away={days[1]: hotel, days[2]: hotel})
    assert [s.day for s in shifts] == days[:5]  # the weekend is off
    assert (shifts[0].start, shifts[0].end) == (HOME, HOME)
    assert (shifts[1].start, shifts[1].end) == (HOME, hotel)
    assert (shifts[2].start, shifts[2].end) == (hotel, hotel)
    assert (shifts[3].start, shifts[3].end) == (hotel, HOME)
    with pytest.raises(ValueError, match="day off"):
        week_shifts(rep, days, nights_away={days[5]: hotel})
    with pytest.raises(ValueError, match="does not work"):
        rep.shift(days[6])


def test_replan_starts_from_the_position_and_time() -> None:
    """The rest of the day: done visits leave, limits shrink, lunch is cut to what is left."""
    s = shift(hours=(hm(8), hm(18)), lunch=(hm(12), hm(14), 3600), max_driving=14_400, max_visits=8)
    cands = tuple(Candidate(id=f"c{i}", location=HOME, duration=600, priority=3) for i in range(3))
    p = Problem(shifts=(s,), candidates=cands, travel=GreatCircle())
    here = Location(lat=45.8, lon=4.9)
    rest = replan(
        p, rep_id="rep", day=MONDAY, position=here, now=hm(12, 30), done=["c0"], driven=3600
    )
    (r,) = rest.shifts
    assert r.start == here
    assert r.end == HOME
    assert r.hours == TimeWindow(start=hm(12, 30), end=hm(18))
    assert r.lunch is not None
    assert r.lunch.window == TimeWindow(start=hm(12, 30), end=hm(14))
    assert (r.max_driving, r.max_visits) == (10_800, 7)
    assert [c.id for c in rest.candidates] == ["c1", "c2"]
    late = replan(p, rep_id="rep", day=MONDAY, position=here, now=hm(13, 30))
    assert late.shifts[0].lunch is None  # no room left for an hour in 12:00-14:00
    taken = replan(p, rep_id="rep", day=MONDAY, position=here, now=hm(12), lunch_taken=True)
    assert taken.shifts[0].lunch is None
    with pytest.raises(ValueError, match="not in the problem"):
        replan(p, rep_id="rep", day=MONDAY, position=here, now=hm(12), done=["zz"])
    with pytest.raises(ValueError, match="outside the shift"):
        replan(p, rep_id="rep", day=MONDAY, position=here, now=hm(19))
