"""Latitude and longitude (WGS84/ETRS89, as GPS and the ONS postcode files give them) to British
National Grid eastings and northings (OSGB36), in metres.

Pure arithmetic, from Ordnance Survey's "A guide to coordinate systems in Great Britain": the
coordinates go to Cartesian on the GRS80 ellipsoid, through the published 7-parameter Helmert
transformation to OSGB36 on the Airy 1830 ellipsoid, back to latitude and longitude, then through
the National Grid's transverse Mercator projection. OS states the Helmert step is good to a few
metres across Great Britain (OSTN15, the exact transformation, needs a 15 MB grid file): plenty for
"how far to travel", where postcode centroids are themselves tens of metres from any one door.
"""

from __future__ import annotations

import math

# Ellipsoids: semi-major and semi-minor axes, metres.
GRS80 = (6_378_137.000, 6_356_752.314140)
AIRY_1830 = (6_377_563.396, 6_356_256.909)

# WGS84 → OSGB36 (OS guide, section 6.6): translations in metres, scale in ppm, rotations in
# arc-seconds.
TX, TY, TZ = -446.448, 125.157, -542.060
SCALE_PPM = 20.4894
RX, RY, RZ = -0.1502, -0.2470, -0.8421

# National Grid projection.
F0 = 0.9996012717
LAT0 = math.radians(49.0)
LON0 = math.radians(-2.0)
E0, N0 = 400_000.0, -100_000.0


def _to_cartesian(lat: float, lon: float, ellipsoid: tuple[float, float]) -> tuple[float, ...]:
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    return (
        nu * math.cos(lat) * math.cos(lon),
        nu * math.cos(lat) * math.sin(lon),
        (1 - e2) * nu * math.sin(lat),
    )


def _from_cartesian(
    x: float, y: float, z: float, ellipsoid: tuple[float, float]
) -> tuple[float, float]:
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):  # converges to well under a millimetre in three or four rounds
        nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        lat = math.atan2(z + e2 * nu * math.sin(lat), p)
    return lat, math.atan2(y, x)


def _helmert(x: float, y: float, z: float) -> tuple[float, float, float]:
    s = SCALE_PPM * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in (RX, RY, RZ))
    return (
        TX + (1 + s) * x - rz * y + ry * z,
        TY + rz * x + (1 + s) * y - rx * z,
        TZ - ry * x + rx * y + (1 + s) * z,
    )


def osgb36_to_grid(lat_degrees: float, lon_degrees: float) -> tuple[float, float]:
    """OSGB36 latitude/longitude → (easting, northing) by the National Grid projection."""
    a, b = AIRY_1830
    lat, lon = math.radians(lat_degrees), math.radians(lon_degrees)
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    sin, cos, tan = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * F0 / math.sqrt(1 - e2 * sin**2)
    rho = a * F0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    d, s = lat - LAT0, lat + LAT0
    meridional = (
        b
        * F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )
    i = meridional + N0
    ii = nu / 2 * sin * cos
    iii = nu / 24 * sin * cos**3 * (5 - tan**2 + 9 * eta2)
    iiia = nu / 720 * sin * cos**5 * (61 - 58 * tan**2 + tan**4)
    iv = nu * cos
    v = nu / 6 * cos**3 * (nu / rho - tan**2)
    vi = nu / 120 * cos**5 * (5 - 18 * tan**2 + tan**4 + 14 * eta2 - 58 * tan**2 * eta2)
    dl = lon - LON0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = E0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def wgs84_to_grid(lat_degrees: float, lon_degrees: float) -> tuple[float, float]:
    """WGS84 (or ETRS89) latitude/longitude → OSGB36 (easting, northing) in metres."""
    cartesian = _to_cartesian(math.radians(lat_degrees), math.radians(lon_degrees), GRS80)
    lat, lon = _from_cartesian(*_helmert(*cartesian), AIRY_1830)
    return osgb36_to_grid(math.degrees(lat), math.degrees(lon))
