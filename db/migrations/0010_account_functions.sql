-- The account functions of the users and me routes take the caller and
-- a JSON body, as every resource function does (db/functions/
-- identity.sql): their earlier signatures go.

DROP FUNCTION IF EXISTS ch.user_create(text, text, text, text, uuid, uuid,
    text, text, text, text);
DROP FUNCTION IF EXISTS ch.user_update(uuid, integer, text, text, text, uuid,
    uuid, text, boolean, text, text, text);
DROP FUNCTION IF EXISTS ch.password_changed(uuid, text, uuid, text);
