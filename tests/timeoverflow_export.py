"""A generated TimeOverflow export (its import layout: no header rows), for tests and bench/.

Members: member_uid, entry_date, first_name, last_name, second_last_name, gender, date_of_birth,
phone, alt_phone, email. Transfers: source_id, source_type, destination_id, destination_type,
amount (seconds), reason, post_id. Returns the two files' bytes and each member's balance in
minutes as the source would show it (what they earned as a destination minus what they paid).
"""

from __future__ import annotations

import csv
import io
import random


def timeoverflow_export(
    members: int, transfers: int, *, seed: int = 7, with_email: float = 0.8
) -> tuple[bytes, bytes, dict[str, int]]:
    rng = random.Random(seed)
    member_out, transfer_out = io.StringIO(), io.StringIO()
    member_writer = csv.writer(member_out, lineterminator="\n")
    uids = [str(100 + n) for n in range(members)]
    for n, uid in enumerate(uids):
        member_writer.writerow(
            [
                uid,
                f"2019-{1 + n % 12:02d}-{1 + n % 28:02d}",
                rng.choice(["Ana", "Joan", "Núria", "Siân", "Aoife", "Kwame", "Priya"]),
                f"Member{n}",
                rng.choice(["", "García", "Ó Briain"]),
                rng.choice(["", "1", "2", "3"]),
                rng.choice(["", "1960-05-04", "15/08/1985"]),
                "0113 496 0000",
                "",
                f"member{n}@example.org" if rng.random() < with_email else "",
            ]
        )
    balances = {uid: 0 for uid in uids}
    transfer_writer = csv.writer(transfer_out, lineterminator="\n")
    for n in range(transfers):
        minutes = rng.choice([15, 30, 45, 60, 90, 120, 180])
        if rng.random() < 0.05:
            source, source_type = "", "organization"
        else:
            source, source_type = rng.choice(uids), "member"
        destination = rng.choice(uids)
        while destination == source:
            destination = rng.choice(uids)
        if source_type == "member":
            balances[source] -= minutes
        balances[destination] += minutes
        transfer_writer.writerow(
            [source, source_type, destination, "member", minutes * 60, f"Help {n}", ""]
        )
    return (
        member_out.getvalue().encode(),
        transfer_out.getvalue().encode(),
        balances,
    )
