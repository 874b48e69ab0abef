-- Foundation: schema, text search helpers, districts and places.
--
-- Runs as the owner role. The application role (ch_app) gets only what it
-- needs; row-level security comes with the tables that hold personal data.

CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE SCHEMA ch;

-- Case- and accent-insensitive search key ("Mühlhausen" -> "muhlhausen").
-- unaccent() with an explicit dictionary is immutable in practice; the
-- wrapper lets us index it and use it in generated columns.
CREATE FUNCTION ch.search_key(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;

-- The six project districts, keyed by the official district key
-- (Kreisschlüssel), which is stable and known to every German authority.
CREATE TABLE ch.district (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9]{5}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    kind        text NOT NULL CHECK (kind IN ('city', 'county')),
    seat        text NOT NULL CHECK (length(seat) BETWEEN 1 AND 120),
    state       text NOT NULL DEFAULT 'Thüringen',
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO ch.district (id, name, kind, seat, lat, lon) VALUES
    ('16051', 'Erfurt', 'city', 'Erfurt', 50.9746, 11.0297),
    ('16062', 'Landkreis Nordhausen', 'county', 'Nordhausen', 51.5018, 10.7957),
    ('16064', 'Unstrut-Hainich-Kreis', 'county', 'Mühlhausen', 51.2090, 10.4528),
    ('16065', 'Kyffhäuserkreis', 'county', 'Sondershausen', 51.3697, 10.8701),
    ('16067', 'Landkreis Gotha', 'county', 'Gotha', 50.9482, 10.7019),
    ('16073', 'Landkreis Saalfeld-Rudolstadt', 'county', 'Saalfeld/Saale', 50.6516, 11.3764);

-- Postal-code places (GeoNames-style reference data). One row per postal
-- code and place name; re-imports update coordinates and district in place.
CREATE TABLE ch.place (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    postal_code  text NOT NULL CHECK (postal_code ~ '^[0-9]{5}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    district_id  text NOT NULL REFERENCES ch.district (id),
    lat          double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon          double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    search_name  text GENERATED ALWAYS AS (ch.search_key(name)) STORED,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (postal_code, name)
);

-- Keyset pagination walks (search_name, postal_code, id), optionally
-- inside one district; substring search uses the trigram index.
CREATE INDEX place_order ON ch.place (search_name, postal_code, id);
CREATE INDEX place_district_order
    ON ch.place (district_id, search_name, postal_code, id);
CREATE INDEX place_postal_code ON ch.place (postal_code text_pattern_ops);
CREATE INDEX place_search_trgm ON ch.place USING gin (search_name gin_trgm_ops);
