-- The portal's work lists: who has a task (a portal user name), tasks by
-- partner and status for the task list's filters, and each partner's
-- latest audit rows for the dashboard's recent activity.
ALTER TABLE tasks ADD COLUMN assigned_to TEXT;
CREATE INDEX tasks_partner_status ON tasks (partner_id, status_id, id);
CREATE INDEX audit_log_partner ON audit_log (partner_id, id);

-- The search box: an ICCID of any connection (the unique index covers
-- live ones only), an ISP user name whatever its case, a static IP, and
-- the address of a session online now.
CREATE INDEX connections_iccid_any ON connections (iccid);
CREATE INDEX isp_users_username_lower ON isp_users (LOWER(username));
CREATE INDEX isp_users_static_ip_any ON isp_users (static_ip) WHERE static_ip IS NOT NULL;
CREATE INDEX radius_sessions_open_ip ON radius_sessions (framed_ip) WHERE stopped_at IS NULL;

-- Data use per connection and day (UTC), added to by each import, for the
-- portal's usage chart (daily bars against the allowance).
CREATE TABLE usage_daily (
    connection_id BIGINT NOT NULL REFERENCES connections(id),
    day DATE NOT NULL,
    data_bytes BIGINT NOT NULL,
    PRIMARY KEY (connection_id, day)
);

-- The search box's customers: a name typed whole (any case), a postcode
-- or a company number, found without reading every customer.
CREATE INDEX customers_name_lower ON customers (LOWER(company_name));
CREATE INDEX customers_postcode ON customers (postcode);
CREATE INDEX customers_co_reg_number ON customers (co_reg_number) WHERE co_reg_number IS NOT NULL;
