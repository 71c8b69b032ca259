-- The rules the database carried out by trigger are decided in Rust now,
-- and written in the transaction of the change that calls for them (with
-- its idempotency record): adding a mobile to an order (the draft check,
-- the number's reservation, the audit row), an order's history rows, and
-- the tasks raised when a network refuses a mobile or a request.
-- [sqlite]
DROP TRIGGER order_mobiles_on_insert;
DROP TRIGGER orders_history_on_insert;
DROP TRIGGER orders_history_on_status;
DROP TRIGGER orders_refused_raise_task;
DROP TRIGGER requests_refused_raise_task;
-- [postgres]
DROP TRIGGER order_mobiles_added ON order_mobiles;
DROP FUNCTION order_mobiles_added();
DROP TRIGGER orders_history ON orders;
DROP FUNCTION orders_history();
DROP TRIGGER orders_refused_raise_task ON orders;
DROP FUNCTION orders_refused_raise_task();
DROP TRIGGER requests_refused_raise_task ON requests;
DROP FUNCTION requests_refused_raise_task();
-- [both]
