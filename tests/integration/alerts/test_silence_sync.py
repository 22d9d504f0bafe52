"""silence-sync against a real Alertmanager: creates, keeps, extends and expires, never touching people's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from alerts.silences import CREATOR, AlertmanagerApi, sync
from inventory.model import Inventory
from tests.integration.alerts.conftest import am  # noqa: F401 - a real Alertmanager with the generated config
from tests.unit.sites.conftest import inv  # noqa: F401 - the small département fixture

# Today in Paris by the real clock: Alertmanager refuses a silence that ends in the past, and a maintenance
# day's silence ends at the midnight after it in Paris (a fixed date here failed from the next night on).
TODAY = dt.datetime.now(ZoneInfo("Europe/Paris")).date()


def _with_maintenance(inventory: Inventory, dates: dict[str, dt.date | None]) -> Inventory:
    devices = {h: d.model_copy(update={"maintenance": dates.get(h, d.maintenance)})
               for h, d in inventory.devices.items()}
    return inventory.model_copy(update={"devices": devices})


def _active(api: AlertmanagerApi) -> dict[str, tuple[str, str]]:
    return {",".join(f"{m['name']}={m['value']}" for m in s["matchers"]): (s["id"], s["endsAt"])
            for s in api.silences() if s["status"]["state"] != "expired"}


def test_sync_creates_keeps_updates_and_expires(am: AlertmanagerApi, inv: Inventory):  # noqa: F811
    people = am.post({"matchers": [{"name": "site", "value": "dc", "isRegex": False, "isEqual": True}],
                      "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
                      "createdBy": "alice", "comment": "by hand"})
    park = dt.date(2099, 6, 30)
    first = _with_maintenance(inv, {"clg-acc1": dt.date(2099, 1, 10), "park-ap1": park, "lyc-acc1": TODAY})
    kinds = [(a.kind, a.key) for a in sync(first, am, TODAY)]
    assert sorted(kinds) == [("create", (("device", "clg-acc1"),)), ("create", (("device", "lyc-acc1"),)),
                             ("create", (("device", "park-ap1"),)), ("create", (("site", "lyc"),)),
                             ("create", (("site", "park"),))]
    silences = _active(am)
    assert set(silences) == {"device=clg-acc1", "device=lyc-acc1", "device=park-ap1", "site=lyc", "site=park",
                             "site=dc"}
    # inclusive date: until midnight after 2099-06-30 in Paris (CEST, UTC+2)
    assert silences["site=park"][1].startswith("2099-06-30T22:00:00")

    # idempotent: nothing changes on a second run
    assert {a.kind for a in sync(first, am, TODAY)} == {"keep"}
    assert _active(am) == silences

    # the park's maintenance is extended, the collège's is over, the lycée's ended yesterday
    second = _with_maintenance(first, {"park-ap1": dt.date(2099, 7, 15), "clg-acc1": None})
    actions = {(a.kind, a.key) for a in sync(second, am, TODAY + dt.timedelta(days=1))}
    assert actions == {("update", (("device", "park-ap1"),)), ("update", (("site", "park"),)),
                       ("expire", (("device", "clg-acc1"),)), ("expire", (("device", "lyc-acc1"),)),
                       ("expire", (("site", "lyc"),))}
    after = _active(am)
    assert set(after) == {"device=park-ap1", "site=park", "site=dc"}
    assert after["device=park-ap1"][0] == silences["device=park-ap1"][0]  # moved in place, same id
    assert after["device=park-ap1"][1].startswith("2099-07-15T22:00:00")
    assert after["site=dc"][0] == people  # a person's silence is left alone
    assert all(s["createdBy"] in {CREATOR, "alice"} for s in am.silences())
