-- Keyset paging, the one way every list of the API pages.
--
-- A list function orders its rows by a sort key and the id, returns at
-- most p_limit rows (the API asks for one more than it shows: that row
-- only tells it a next page exists), and each row's keys as text (k1,
-- k2). The API wraps the keys of the last row it shows in an opaque
-- cursor; the next call hands them back as p_after, and the function
-- continues with (key, id) > (p_after[1], p_after[2]), or < for a
-- descending list.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- A time as a cursor key: UTC with microseconds, so that the key reads
-- back (p_after[1]::timestamptz) as exactly the stored value, and rows
-- written in the same millisecond still page apart.
CREATE OR REPLACE FUNCTION ch.cursor_key(p_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT to_char(p_at AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
$$;

-- Whether a row comes after the cursor of an ascending list by a time
-- and the id; every row when there is no cursor. Lists by other keys (a
-- distance, a rank, a date, or descending) write the same comparison
-- with their key's type.
CREATE OR REPLACE FUNCTION ch.after(p_at timestamptz, p_id uuid,
    p_after text[])
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT p_after IS NULL
	    OR (p_at, p_id) > (p_after[1]::timestamptz, p_after[2]::uuid);
$$;
