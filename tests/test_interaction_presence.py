"""A visit's check-in and check-out: times and GPS fixes, through the API and the sync."""

from __future__ import annotations

from flask.testing import FlaskClient

from .conftest import TeamFixture
from .helpers import account_body, create, error_fields, patch
from .sync_helpers import new_id, pull_all, push

ARRIVED = "2030-03-04T08:05:00+00:00"
LEFT = "2030-03-04T08:50:00+00:00"


def _visit(client: FlaskClient, team: TeamFixture) -> dict:
    """A planned visit of rep A to one of their accounts."""
    account = create(client, team.rep_a, "/api/accounts", account_body())
    return create(
        client,
        team.rep_a,
        "/api/interactions",
        {"account_id": account["id"], "kind": "visit", "starts_at": "2030-03-04T08:00:00Z"},
    )


def test_check_in_and_out_are_kept_with_their_gps_fix(
    client: FlaskClient, team: TeamFixture
) -> None:
    """Arrival and departure times and positions are stored and read back as sent."""
    visit = _visit(client, team)
    path = f"/api/interactions/{visit['id']}"
    arrived = {
        "checked_in_at": ARRIVED,
        "checkin_lat": 45.7601,
        "checkin_lon": 4.8357,
        "checkin_accuracy_m": 12,
    }
    assert patch(client, team.rep_a, path, arrived).status_code == 200
    left = {"checked_out_at": LEFT, "checkout_lat": 45.7602, "checkout_lon": 4.8359}
    answer = patch(client, team.rep_a, path, {**left, "status": "done"})
    assert answer.status_code == 200, answer.get_json()
    record = answer.get_json()
    assert record["checked_in_at"] == ARRIVED
    assert (record["checkin_lat"], record["checkin_lon"], record["checkin_accuracy_m"]) == (
        45.7601,
        4.8357,
        12,
    )
    assert record["checked_out_at"] == LEFT
    assert record["checkout_accuracy_m"] is None


def test_half_a_position_or_leaving_before_arriving_is_refused(
    client: FlaskClient, team: TeamFixture
) -> None:
    """A latitude without longitude, a latitude off the globe, a departure before the
    arrival: 422 naming the field, and nothing changes."""
    visit = _visit(client, team)
    path = f"/api/interactions/{visit['id']}"
    for body, field in (
        ({"checkin_lat": 45.7}, "checkin_lat"),
        ({"checkin_lat": 91.0, "checkin_lon": 4.8}, "checkin_lat"),
        ({"checkout_lat": None, "checkout_lon": 4.8}, "checkout_lat"),
        ({"checked_in_at": LEFT, "checked_out_at": ARRIVED}, "checked_out_at"),
        ({"checkin_accuracy_m": -1}, "checkin_accuracy_m"),
    ):
        answer = patch(client, team.rep_a, path, body)
        assert answer.status_code == 422, body
        assert any(field in name for name in error_fields(answer)), (body, answer.get_json())
    assert client.get(path, headers=team.rep_a.headers).get_json()["checked_in_at"] is None


def test_a_check_in_made_offline_syncs_to_the_other_devices(
    client: FlaskClient, team: TeamFixture
) -> None:
    """The phone pushes the check-in as an update of the visit; the manager's pull has it."""
    visit = _visit(client, team)
    _, cursor = pull_all(client, team.manager.headers)
    answer = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "interaction",
                "op": "update",
                "id": visit["id"],
                "base_version": visit["version"],
                "fields": {
                    "checked_in_at": ARRIVED,
                    "checkin_lat": 45.76,
                    "checkin_lon": 4.83,
                    "checkin_accuracy_m": 30,
                },
            },
            {
                "mid": 2,
                "entity": "note",
                "op": "create",
                "id": new_id(),
                "fields": {
                    "account_id": visit["account_id"],
                    "interaction_id": visit["id"],
                    "body": "Arrivé",
                },
            },
        ],
    )
    assert [o["status"] for o in answer.get_json()["outcomes"]] == ["applied", "applied"]
    entries, _ = pull_all(client, team.manager.headers, cursor)
    pulled = next(e for e in entries if e["entity"] == "interaction" and e["id"] == visit["id"])
    assert pulled["data"]["checked_in_at"] == ARRIVED
    assert pulled["data"]["checkin_accuracy_m"] == 30
