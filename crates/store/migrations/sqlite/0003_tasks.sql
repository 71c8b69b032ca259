-- The task diary: tasks on a customer (optionally on one of its contracts
-- or orders) and their comments. SQLite flavour.

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    diary_type_id BIGINT NOT NULL,
    diary_task_id BIGINT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status_id BIGINT NOT NULL,
    contract_id BIGINT REFERENCES connections(id),
    order_id BIGINT REFERENCES orders(id),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tasks_customer ON tasks(customer_id, id);
CREATE INDEX tasks_order ON tasks(order_id, id);
INSERT INTO sqlite_sequence (name, seq) VALUES ('tasks', 699999);

CREATE TABLE task_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id BIGINT NOT NULL REFERENCES tasks(id),
    body TEXT NOT NULL,
    -- The status the comment moved the task to, when it did.
    status_id BIGINT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX task_comments_task ON task_comments(task_id, id);

-- An order the network refused, wholly or in part, raises a task on its
-- customer, linked to the order (diary type 1 Order, task 101 Order
-- rejected, status 1 Open), in the statement that finishes the order.
CREATE TRIGGER orders_refused_raise_task AFTER UPDATE OF status ON orders
WHEN NEW.status IN ('Rejected', 'PartiallyCompleted') AND OLD.status <> NEW.status BEGIN
    INSERT INTO tasks (partner_id, customer_id, diary_type_id, diary_task_id, subject, body, status_id, order_id, created_by, created_at, updated_at)
    VALUES (NEW.partner_id, NEW.customer_id, 1, 101,
            'Order ' || NEW.id || CASE NEW.status WHEN 'Rejected' THEN ' was rejected' ELSE ' was partly rejected' END,
            COALESCE(NEW.status_note || ': ', '') || COALESCE(NEW.reason, 'see the order''s mobiles'),
            1, NEW.id, NEW.updated_by, NEW.updated_at, NEW.updated_at);
END;
