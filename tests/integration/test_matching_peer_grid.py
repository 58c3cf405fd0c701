"""Each peer profile's copy of its grid point (what the candidate query's bounding box reads)
follows the member's postcode and the centroids, however they change."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.matching import candidates, geo
from app.matching.models import PostcodeCentroid
from app.peers.models import PeerProfile
from tests.factories import PostcodeCentroidFactory
from tests.integration.conftest import NOW
from tests.matching_network import ORIGIN, fresh_postcode, network, place


def grid(session, peer) -> tuple[int | None, int | None]:
    row = session.execute(
        select(PeerProfile.grid_easting, PeerProfile.grid_northing).where(PeerProfile.id == peer.id)
    ).one()
    return tuple(row)


def test_the_grid_point_follows_the_postcode_and_the_centroid(session):
    net = network()
    peer = net.peer(place(None, 3))
    assert grid(session, peer) == (ORIGIN[0] + 3000, ORIGIN[1])

    peer.member.postcode = place(None, 0, 7)  # moves house
    assert grid(session, peer) == (ORIGIN[0], ORIGIN[1] + 7000)

    unplaced = fresh_postcode()  # a postcode too new for the data
    peer.member.postcode = unplaced
    assert grid(session, peer) == (None, None)

    centroid = PostcodeCentroidFactory(postcode=unplaced, easting=400_000, northing=430_000)
    assert grid(session, peer) == (400_000, 430_000)

    centroid.easting = 401_000  # corrected
    assert grid(session, peer) == (401_000, 430_000)

    session.delete(centroid)
    assert grid(session, peer) == (None, None)

    peer.member.postcode = None  # erased, say
    assert grid(session, peer) == (None, None)


def test_a_profile_already_loaded_reads_the_new_point(session):
    net = network()
    peer = net.peer(place(None, 1))
    assert peer.grid_easting == ORIGIN[0] + 1000
    peer.member.postcode = place(None, 2)
    session.flush()
    assert peer.grid_easting == ORIGIN[0] + 2000


def test_a_bulk_centroid_load_places_the_peers_already_there(session):
    net = network()
    peer = net.peer("LS6 2AB")  # no centroid yet
    other = net.peer(place(None, 4))
    assert grid(session, peer) == (None, None)
    geo.import_centroid_csv(session, Path(__file__).parent.parent / "fixtures" / "geo" / "grid.csv")
    assert grid(session, peer) == (428_500, 436_000)
    assert grid(session, other) == (ORIGIN[0] + 4000, ORIGIN[1])
    assert session.get(PostcodeCentroid, "LS6 2AB").easting == 428_500


def test_a_near_peer_placed_after_joining_is_listed(session):
    """The 5 km box reads the copy: a peer of another condition group next door, whose postcode
    got its centroid only after they became a peer, is still found."""
    net = network()
    postcode = "LS27 9XY"  # another district than the referral's, so only the box finds them
    peer = net.peer(postcode, codes=["type_2_diabetes"])
    PostcodeCentroidFactory(postcode=postcode, easting=ORIGIN[0] + 1500, northing=ORIGIN[1])
    referral = net.referral(place("LS6 1AA", 0), codes=["parkinsons"])
    listed = candidates.candidates_for(session, net.coordinator, referral.id, 10, now=NOW)
    assert [c.peer_id for c in listed] == [peer.id]
    assert listed[0].distance_km == 1.5
