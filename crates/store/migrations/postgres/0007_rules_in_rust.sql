-- Adding a mobile to an order is decided in Rust now (the draft check, the
-- number's reservation, the audit row), in the transaction of the request
-- and its idempotency record: the trigger that did it goes.
DROP TRIGGER order_mobiles_added ON order_mobiles;
DROP FUNCTION order_mobiles_added();
