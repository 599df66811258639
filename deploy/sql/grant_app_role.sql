-- sopflow: privileges of the application role on PostgreSQL (README "Database roles").
--
-- Two roles:
--   owner  owns the database and every table; runs `sopflow db upgrade` (DATABASE_URL set to
--          the owner's URL) and this script. Never used by the web app or the workers.
--   app    what the web app, the workers and the CLI use day to day: not a superuser, owns no
--          table, normal DML on the working tables, but on the audit tables only
--          SELECT + INSERT (audit_heads also UPDATE, which its trigger lets move forward only).
--
-- Create the app role once (as a database administrator):
--   CREATE ROLE sopflow_app LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- Then, as the owner, after every `sopflow db upgrade` (new tables get no privileges until it runs):
--   psql "postgresql://sopflow_owner@db.internal/sopflow" -v app_role=sopflow_app -f deploy/sql/grant_app_role.sql
--
-- The script stops (and grants nothing) if the app role is a superuser, bypasses row security,
-- or owns / is a member of the owner of the audit tables: any of those would let it switch the
-- audit triggers off (ALTER TABLE … DISABLE TRIGGER, SET session_replication_role = replica).

\set ON_ERROR_STOP on
BEGIN;

SELECT set_config('sopflow.app_role', :'app_role', true);

DO $$
DECLARE
    app text := current_setting('sopflow.app_role');
    bad text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION 'role % does not exist: create it first (see the comment at the top)', app;
    END IF;
    IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION 'role % is a superuser or bypasses row security: the application role must not be', app;
    END IF;
    SELECT string_agg(tablename, ', ') INTO bad FROM pg_tables
     WHERE schemaname = 'public' AND pg_has_role(app, tableowner, 'USAGE');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'role % owns (or inherits the owner of) tables %: use a separate application role', app, bad;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app);
END $$;

GRANT USAGE ON SCHEMA public TO :"app_role";
REVOKE CREATE ON SCHEMA public FROM :"app_role";

-- working tables: normal DML
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM :"app_role";

-- audit tables: append-only for the application
REVOKE UPDATE, DELETE ON audit_events, audit_checkpoints FROM :"app_role";
REVOKE DELETE ON audit_heads FROM :"app_role";

-- the schema version is read, never written, by the application
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM :"app_role";

COMMIT;
