#!/usr/bin/python3
"""Imports a GeoNames-style place file into ch.place.

usage: import_places.py OWNER_DATABASE_URL FILE.csv

The file needs a header with at least postal_code, place, district_key,
latitude and longitude (further columns such as district or state are
ignored). Bad rows are reported with their line number and skipped; rows
for districts the database does not know are counted and skipped. A
re-import updates existing places (same postal code and name) instead of
duplicating them. Everything is one transaction.
"""

import csv
import re
import sys

import psycopg2

REQUIRED = ("postal_code", "place", "district_key", "latitude", "longitude")
POSTAL = re.compile(r"^[0-9]{5}$")
DISTRICT = re.compile(r"^[0-9]{5}$")
MAX_REPORTED = 50


def parse_coord(text, lo, hi):
    value = float(text)
    if not lo <= value <= hi:
        raise ValueError("out of range")
    return value


def read_rows(path, report):
    """Yields (line, postal_code, name, district, lat, lon) of good rows."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            sys.exit("import-places: %s: header lacks %s"
                     % (path, ", ".join(missing)))
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                report(line, "wrong number of columns")
                continue
            postal = row["postal_code"].strip()
            name = row["place"].strip()
            district = row["district_key"].strip()
            if not POSTAL.match(postal):
                report(line, "postal_code %r is not five digits" % postal)
                continue
            if not 1 <= len(name) <= 120:
                report(line, "place name is empty or longer than 120")
                continue
            if not DISTRICT.match(district):
                report(line, "district_key %r is not five digits" % district)
                continue
            try:
                lat = parse_coord(row["latitude"], -90, 90)
                lon = parse_coord(row["longitude"], -180, 180)
            except ValueError:
                report(line, "latitude/longitude are not valid coordinates")
                continue
            yield line, postal, name, district, lat, lon


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    url, path = sys.argv[1], sys.argv[2]
    bad = []

    def report(line, why):
        bad.append(line)
        if len(bad) <= MAX_REPORTED:
            print("import-places: line %d skipped: %s" % (line, why),
                  file=sys.stderr)

    try:
        rows = list(read_rows(path, report))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        sys.exit("import-places: %s: %s" % (path, e))

    # Later duplicates of (postal_code, name) in one file win, as a
    # re-import would; keep one row per key so the upsert is well defined.
    unique = {}
    for r in rows:
        unique[(r[1], r[2])] = r

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM ch.district")
        known = {r[0] for r in cur.fetchall()}
        foreign = [r for r in unique.values() if r[3] not in known]
        keep = [r for r in unique.values() if r[3] in known]
        cur.execute("SELECT count(*) FROM ch.place")
        before = cur.fetchone()[0]
        cur.executemany(
            "INSERT INTO ch.place (postal_code, name, district_id, lat, lon) "
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (postal_code, name) DO UPDATE SET "
            "district_id = EXCLUDED.district_id, lat = EXCLUDED.lat, "
            "lon = EXCLUDED.lon "
            "WHERE (ch.place.district_id, ch.place.lat, ch.place.lon) "
            "IS DISTINCT FROM (EXCLUDED.district_id, EXCLUDED.lat, "
            "EXCLUDED.lon)",
            [(r[1], r[2], r[3], r[4], r[5]) for r in keep])
        cur.execute("SELECT count(*) FROM ch.place")
        after = cur.fetchone()[0]

    if len(bad) > MAX_REPORTED:
        print("import-places: %d more bad lines not listed"
              % (len(bad) - MAX_REPORTED), file=sys.stderr)
    print("import-places: %d rows read, %d places new, %d already known "
          "(updated where changed), %d bad lines skipped, %d rows of other "
          "districts skipped"
          % (len(rows) + len(bad), after - before,
             len(keep) - (after - before), len(bad), len(foreign)))


if __name__ == "__main__":
    main()
