-- A NAS reuses an Acct-Session-Id (a counter restarting after a reboot):
-- the same unique id may name several sessions over time, one after the
-- other. At most one of them is open; which one a record belongs to is
-- domain::isp::acct_target's decision.

ALTER TABLE radius_sessions DROP CONSTRAINT radius_sessions_partner_id_unique_id_key;
CREATE INDEX radius_sessions_unique_id ON radius_sessions(partner_id, unique_id, id);
CREATE UNIQUE INDEX radius_sessions_live ON radius_sessions(partner_id, unique_id) WHERE stopped_at IS NULL;
