-- Request objects: asynchronous changes to a live connection, carried out
-- by the provisioning worker through the network. SQLite flavour.

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    contract_id BIGINT NOT NULL REFERENCES connections(id),
    type TEXT NOT NULL,
    -- Requests in the same group on one connection conflict while open.
    conflict_group TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX requests_contract ON requests(contract_id, id);
CREATE UNIQUE INDEX requests_open_group ON requests(contract_id, conflict_group) WHERE status IN ('Pending', 'InProgress');
INSERT INTO sqlite_sequence (name, seq) VALUES ('requests', 799999);

-- A request the network refused raises a task on the customer (diary type
-- 5 Account, task 502 Request rejected), linked to the contract.
CREATE TRIGGER requests_refused_raise_task AFTER UPDATE OF status ON requests
WHEN NEW.status = 'Rejected' AND OLD.status <> NEW.status BEGIN
    INSERT INTO tasks (partner_id, customer_id, diary_type_id, diary_task_id, subject, body, status_id, contract_id, created_by, created_at, updated_at)
    VALUES (NEW.partner_id, NEW.customer_id, 5, 502, 'Request ' || NEW.id || ' (' || NEW.type || ') was rejected',
            COALESCE(NEW.reason, 'refused by the network'), 1, NEW.contract_id, NEW.created_by, NEW.updated_at, NEW.updated_at);
END;
