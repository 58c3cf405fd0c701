"""Latitude and longitude to the National Grid."""

from app.matching.osgb import osgb36_to_grid, wgs84_to_grid


def test_projection_matches_the_ordnance_survey_worked_example():
    # "A guide to coordinate systems in Great Britain", annex C: Caister water tower.
    easting, northing = osgb36_to_grid(52 + 39 / 60 + 27.2531 / 3600, 1 + 43 / 60 + 4.5177 / 3600)
    assert abs(easting - 651_409.903) < 0.01
    assert abs(northing - 313_177.270) < 0.01


def test_gps_coordinates_of_a_postcode_land_within_ten_metres_of_code_point():
    # SW1A 1AA: ONS gives 51.501009, -0.141588; Code-Point Open gives 529090, 179645.
    easting, northing = wgs84_to_grid(51.501009, -0.141588)
    assert abs(easting - 529_090) < 10 and abs(northing - 179_645) < 10
