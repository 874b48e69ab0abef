-- The database roles and the database, run as a superuser on an empty
-- cluster (and again on every start: it only adds what is missing).
--
--   ch_owner    runs the migrations and owns schema ch
--   ch_app      the API: owns nothing, cannot bypass row-level security
--   ch_matcher  the worker pool: may call its job functions, nothing else
--   ch_definer  owns the few functions that may bypass row-level
--               security; the owner hands them over, nobody logs in as it
--
-- Passwords are not set here: a local cluster trusts its socket, and the
-- container image sets them from secret files.
SET client_min_messages = warning;
SELECT 'CREATE ROLE ch_owner LOGIN'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ch_owner') \gexec
SELECT 'CREATE ROLE ch_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ch_app') \gexec
SELECT 'CREATE ROLE ch_matcher LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ch_matcher') \gexec
SELECT 'CREATE ROLE ch_definer NOLOGIN BYPASSRLS'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ch_definer') \gexec
GRANT ch_definer TO ch_owner;
SELECT 'CREATE DATABASE ch OWNER ch_owner'
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ch') \gexec
\connect ch
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO ch_owner;
