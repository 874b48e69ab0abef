-- Taxonomies: published codes never change or disappear; the reads of
-- /v1/taxonomies; a KldB occupational code's validity.
--
-- Each function here is its one current source: edit it in place, and
-- scripts/migrate.sh applies the file again (CREATE OR REPLACE). A
-- function whose arguments or result type change, or that goes away, is
-- dropped by a new migration in db/migrations/.

-- Published codes stay: refuse renaming a code, moving it to another
-- taxonomy, and deleting or truncating terms. Labels, positions and the
-- taxonomy descriptions may change.
CREATE OR REPLACE FUNCTION ch.taxonomy_term_frozen() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'taxonomy terms are never removed'
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'taxonomy term %/% is published and cannot be deleted',
            OLD.taxonomy, OLD.code
            USING ERRCODE = 'restrict_violation';
    ELSIF NEW.taxonomy IS DISTINCT FROM OLD.taxonomy
       OR NEW.code IS DISTINCT FROM OLD.code THEN
        RAISE EXCEPTION 'taxonomy term %/% is published; its code cannot change',
            OLD.taxonomy, OLD.code
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER taxonomy_term_frozen
    BEFORE UPDATE OF taxonomy, code OR DELETE ON ch.taxonomy_term
    FOR EACH ROW EXECUTE FUNCTION ch.taxonomy_term_frozen();
CREATE OR REPLACE TRIGGER taxonomy_term_no_truncate
    BEFORE TRUNCATE ON ch.taxonomy_term
    FOR EACH STATEMENT EXECUTE FUNCTION ch.taxonomy_term_frozen();

-- True if the taxonomy has the code; false for unknown codes and for NULL.
CREATE OR REPLACE FUNCTION ch.term_exists(p_taxonomy text, p_code text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
SELECT EXISTS (SELECT 1 FROM ch.taxonomy_term
               WHERE taxonomy = p_taxonomy AND code = p_code)
$$;

-- ---------------------------------------------------------------------
-- Taxonomies

CREATE OR REPLACE FUNCTION ch.taxonomy_get(p_name text, p_locales text[])
RETURNS TABLE (locale text, body text) LANGUAGE sql STABLE AS $$
	WITH best AS (
		-- The first wanted locale every term of the taxonomy has.
		SELECT coalesce((SELECT l.loc FROM unnest(p_locales)
		    WITH ORDINALITY l(loc, n)
		    WHERE NOT EXISTS (SELECT 1 FROM ch.taxonomy_term t
			WHERE t.taxonomy = p_name AND NOT t.labels ? l.loc)
		    ORDER BY l.n LIMIT 1), 'de') AS loc
	)
	SELECT best.loc, json_build_object('name', x.name,
	    'description', x.description, 'locale', best.loc,
	    'items', coalesce((SELECT json_agg(json_build_object(
		'code', t.code, 'label', t.labels->>best.loc,
		'parent', t.parent) ORDER BY t.position)
	    FROM ch.taxonomy_term t WHERE t.taxonomy = x.name), '[]'))::text
	FROM ch.taxonomy x, best WHERE x.name = p_name;
$$;

CREATE OR REPLACE FUNCTION ch.taxonomy_list() RETURNS text LANGUAGE sql STABLE AS $$
	SELECT json_build_object('items', coalesce(json_agg(json_build_object(
	    'name', x.name, 'description', x.description,
	    'terms', (SELECT count(*) FROM ch.taxonomy_term t
		WHERE t.taxonomy = x.name),
	    'locales', (SELECT coalesce(json_agg(l ORDER BY l), '[]') FROM (
		SELECT jsonb_object_keys(t.labels) AS l
		FROM ch.taxonomy_term t WHERE t.taxonomy = x.name
		GROUP BY 1 HAVING count(*) = (SELECT count(*)
		    FROM ch.taxonomy_term u WHERE u.taxonomy = x.name)) k))
	    ORDER BY x.position), '[]'), 'next_cursor', NULL)::text
	FROM ch.taxonomy x;
$$;-- A KldB 2010 code (1 to 5 digits) whose area or main group is known.
CREATE OR REPLACE FUNCTION ch.kldb_known(p_code text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_code ~ '^[0-9]{1,5}$' AND ch.term_exists('occupational_fields',
	    left(p_code, 2));
$$;
