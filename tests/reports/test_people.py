"""Handlers read people (name, NIP, title) through ``HandlerContext.people``: active heads only, read-only."""

from __future__ import annotations

from datetime import datetime

from sopflow.access.people import DirectoryPeople
from sopflow.access.users import add_user
from sopflow.persistence.models import User


def _add(session, username, **kwargs):
    return add_user(session, username, "kata-sandi-uji", lanes=["Kepala Dinas"], **kwargs)


def test_lead_of_a_lane_is_the_first_active_head_by_username(database):
    with database.unit_of_work() as session:
        _add(session, "b_kadis", full_name="Kadis B", nip="198001012005011001", lead_lanes=["Kepala Dinas"],
             position_title="Kepala Dinas")  # fmt: skip
        _add(session, "a_pensiun", full_name="Kadis Lama", lead_lanes=["Kepala Dinas"])
        _add(session, "a_nonaktif", full_name="Kadis Nonaktif", lead_lanes=["Kepala Dinas"])
        _add(session, "a_anggota", full_name="Anggota Saja")  # member of the lane, not its head
    with database.unit_of_work() as session:
        session.query(User).filter_by(username="a_pensiun").one().retired_at = datetime(2026, 1, 1)
        session.query(User).filter_by(username="a_nonaktif").one().active = False
    with database.reading() as session:
        people = DirectoryPeople(session)
        head = people.lead_of("Kepala Dinas")
        assert (head.username, head.name, head.nip, head.title) == (
            "b_kadis",
            "Kadis B",
            "198001012005011001",
            "Kepala Dinas",
        )
        assert people.lead_of("Sekretaris") is None
        assert people.get("a_anggota").name == "Anggota Saja" and people.get("a_anggota").nip == ""
        assert people.get("a_pensiun") is None and people.get("a_nonaktif") is None
        assert people.get("tidak_ada") is None
        assert not hasattr(head, "password_hash")  # printable facts only
