"""``flask --app wsgi tickets …``: keys, rotation, withdrawal, bulk issuing; each change is in the audit log."""

import pytest
from sqlalchemy import select

from server.clock import utcnow
from server.domain.tickets import revocation_list
from server.extensions import db
from server.models import AuditEntry, Household, Point, Tier
from server.ticket_keys import public_keys
from sync import tickets


def test_issue_rotate_withdraw(app, runner):
    with app.app_context():
        tier = Tier(name="Tarif plein", share_percent=100)
        point = Point(name="Ferme du Buisson", town="Noisiel")
        db.session.add_all(
            [
                Household(first_name="Awa", last_name="Diallo", tier=tier, point=point),
                Household(first_name="Li", last_name="Wang", tier=tier, point=point),
                Household(first_name="Paul", last_name="Roux", tier=tier, point=point, status="suspended"),
            ]
        )
        db.session.commit()

    issued = runner.invoke(args=["tickets", "issue-missing"])
    assert issued.exit_code == 0 and "2 tickets issued" in issued.output
    assert "0 tickets issued" in runner.invoke(args=["tickets", "issue-missing"]).output
    assert runner.invoke(args=["tickets", "keys"]).output == f"key 1: signing, created {utcnow():%Y-%m-%d}\n"

    rotated = runner.invoke(args=["tickets", "rotate-key"])
    assert rotated.exit_code == 0 and "key 2 now signs new tickets" in rotated.output
    listed = runner.invoke(args=["tickets", "keys"]).output.splitlines()
    assert [line.split(",")[0] for line in listed] == ["key 1: retired (verifies only)", "key 2: signing"]

    withdrawn = runner.invoke(args=["tickets", "withdraw-key", "1"])
    assert withdrawn.exit_code == 0 and "key 1 withdrawn" in withdrawn.output
    again = runner.invoke(args=["tickets", "withdraw-key", "1"])
    assert again.exit_code != 0 and "no valid key 1" in again.output
    with app.app_context():
        from server.domain.tickets import ticket_text

        awa = db.session.scalar(select(Household).where(Household.first_name == "Awa"))
        with pytest.raises(tickets.TicketRefused) as refused:
            tickets.verify(ticket_text(awa), public_keys(), revocation_list())
        assert refused.value.reason == "unknown_key"
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions.count("ticket_key.create") == 2 and "ticket_key.withdraw" in actions
        assert "ticket.issue_missing" in actions
