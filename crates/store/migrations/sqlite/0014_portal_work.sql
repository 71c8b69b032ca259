-- The portal's work lists: who has a task (a portal user name), tasks by
-- partner and status for the task list's filters, and each partner's
-- latest audit rows for the dashboard's recent activity.
ALTER TABLE tasks ADD COLUMN assigned_to TEXT;
CREATE INDEX tasks_partner_status ON tasks (partner_id, status_id, id);
CREATE INDEX audit_log_partner ON audit_log (partner_id, id);
