-- Who may run what in schema ch: every privilege of the two login roles,
-- in one place. scripts/migrate.sh applies this file after the
-- migrations on every run, so it always describes the schema as it is;
-- tests/api/test_privileges.py compares the catalog with it.
--
-- ch_app (the API) may execute the API's ordinary (SECURITY INVOKER)
-- functions: they give it nothing it could not do with its table
-- privileges under row-level security. A SECURITY DEFINER function reads
-- past row-level security, so those are closed to it unless this file
-- names them: the four that the review workflow and the reports need,
-- each of which re-reads what it is given and checks its caller, the
-- job queue's figures for GET /metrics, which are counts and nothing
-- else, and the eight privacy requests (erasure requests and their
-- cancellation, the retention schedule), which check their caller and
-- are the only writers of those tables. A new SECURITY DEFINER function
-- stays closed until it is added here.
-- ch_matcher (the worker pool) executes its job functions and nothing
-- else, and touches no table. ch_definer (no login, BYPASSRLS) owns the
-- SECURITY DEFINER functions: they are the only code that reads past
-- row-level security, which binds the schema's owner too.

SET client_min_messages = warning;

-- New functions start closed: PostgreSQL would grant EXECUTE to PUBLIC.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ch FROM PUBLIC, ch_app, ch_matcher;
REVOKE ALL ON ALL TABLES IN SCHEMA ch FROM PUBLIC, ch_app, ch_matcher;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ch FROM PUBLIC, ch_app, ch_matcher;
REVOKE ALL ON SCHEMA ch FROM PUBLIC;
GRANT USAGE ON SCHEMA ch TO ch_app, ch_matcher;
-- /readyz compares the applied schema version with the build's.
GRANT SELECT ON public.schema_migrations TO ch_app;

-- ---------------------------------------------------------------------
-- The functions that read past row-level security

GRANT USAGE, CREATE ON SCHEMA ch TO ch_definer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ch
    TO ch_definer;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ch TO ch_definer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ch TO ch_definer;
DO $$
DECLARE
	f	regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_proc p
	    WHERE p.pronamespace = 'ch'::regnamespace AND p.prosecdef
	    AND p.proowner <> 'ch_definer'::regrole LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO ch_definer', f);
	END LOOP;
	-- A function that stopped being SECURITY DEFINER returns to the
	-- schema's owner, as if it had been created so.
	FOR f IN SELECT p.oid FROM pg_proc p
	    WHERE p.pronamespace = 'ch'::regnamespace AND NOT p.prosecdef
	    AND p.proowner = 'ch_definer'::regrole LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO %I', f,
		    current_user);
	END LOOP;
END
$$;

-- ---------------------------------------------------------------------
-- The API

GRANT SELECT ON ch.district, ch.place, ch.taxonomy, ch.taxonomy_term,
    ch.matching_run TO ch_app;
-- Privacy: the API reads requests, the schedule and its runs; only the
-- functions named below write them (ch.retention_schedule.clock_offset
-- not even those: the owner sets it for drills and tests).
GRANT SELECT ON ch.erasure_request, ch.retention_schedule, ch.retention_run
    TO ch_app;
GRANT SELECT, INSERT ON ch.audit_log TO ch_app;
GRANT SELECT, INSERT, UPDATE ON ch.problem_report TO ch_app;
GRANT SELECT, INSERT ON ch.problem_report_comment TO ch_app;
GRANT SELECT, INSERT, UPDATE ON ch.app_user, ch.token_family,
    ch.refresh_token, ch.participant, ch.participant_contact, ch.consent,
    ch.placement, ch.mentor, ch.mentee_profile, ch.tandem,
    ch.tandem_meeting, ch.event, ch.event_registration, ch.matching_job,
    ch.proposal TO ch_app;
GRANT SELECT, UPDATE ON ch.matching_settings TO ch_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ch.login_throttle,
    ch.login_client_throttle, ch.organization, ch.offer, ch.idempotency
    TO ch_app;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ch TO ch_app;
-- ... except the worker's ordinary helpers, the erasure and retention
-- steps (SECURITY INVOKER, but only for ch.privacy_run and the request
-- functions to call), every trigger function, and every SECURITY DEFINER
-- function but the thirteen the API calls.
REVOKE EXECUTE ON FUNCTION ch.job_held(uuid, integer, text),
    ch.job_lease_lost(ch.matching_job), ch.job_candidates(text, bigint),
    ch.job_candidates_build(text), ch.audit_forget(text[], text),
    ch.erase_history(uuid[], uuid[]), ch.erase_account_traces(ch.app_user),
    ch.erase_participant(uuid), ch.erase_account(uuid),
    ch.erasure_execute(ch.erasure_request), ch.erased_count_add(jsonb),
    ch.retention_remove(text, text), ch.retention_run_now(text),
    ch.erasure_file(jsonb, text, text, text, uuid, uuid, text, text, jsonb),
    ch.participant_erasure_file(jsonb, text, text, uuid, jsonb),
    ch.account_erasure_file(jsonb, text, text, ch.app_user, jsonb),
    ch.erasure_due_refresh(uuid, uuid)
    FROM ch_app;
DO $$
DECLARE
	f	regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_proc p
	    WHERE p.pronamespace = 'ch'::regnamespace
	    AND (p.prorettype = 'trigger'::regtype OR (p.prosecdef
		AND p.oid NOT IN (
		    'ch.proposal_free_places(ch.proposal)'::regprocedure,
		    'ch.proposal_fulfil(jsonb, ch.proposal)'::regprocedure,
		    'ch.proposal_person(jsonb, ch.proposal)'::regprocedure,
		    'ch.women_report(jsonb, uuid)'::regprocedure,
		    'ch.metrics_jobs()'::regprocedure,
		    'ch.participant_erasure_create(jsonb, text, text, uuid, jsonb)'::regprocedure,
		    'ch.user_erasure_create(jsonb, text, text, uuid, jsonb)'::regprocedure,
		    'ch.me_erasure_create(jsonb, text, text, jsonb)'::regprocedure,
		    'ch.erasure_cancel(jsonb, text, text, uuid, jsonb)'::regprocedure,
		    'ch.retention_get(jsonb, uuid)'::regprocedure,
		    'ch.retention_put(jsonb, uuid, integer[], jsonb)'::regprocedure,
		    'ch.retention_confirm(jsonb, text, text, jsonb)'::regprocedure,
		    'ch.retention_request(jsonb, text, text, jsonb)'::regprocedure))) LOOP
		EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM ch_app', f);
	END LOOP;
END
$$;

-- ---------------------------------------------------------------------
-- The worker pool

GRANT EXECUTE ON FUNCTION ch.job_claim(text, integer),
    ch.job_input(uuid, bigint), ch.job_complete(uuid, integer, text, jsonb),
    ch.job_fail(uuid, integer, text, text, boolean),
    ch.job_heartbeat(text, uuid[], integer[], integer),
    ch.proposals_expire(), ch.privacy_run() TO ch_matcher;

-- Every login role may check itself, so that the API and ch-matcher can
-- say why they refuse to start with a role that is not fit.
GRANT EXECUTE ON FUNCTION ch.login_role_problem() TO PUBLIC;
