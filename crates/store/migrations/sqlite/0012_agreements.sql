-- The corporate agreements face: a business customer's agreements (the
-- customer gains its Norwegian organisation number), the product offers
-- an agreement allows with their configuration characteristics, the
-- products on it with their configuration, and the orders that change
-- them (carried out by the worker through the B2B network).

ALTER TABLE customers ADD COLUMN organization_number TEXT;

CREATE TABLE agreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    category TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agreements_partner ON agreements (partner_id, id);
-- Agreement ids in the range the operator's integrators are used to.
INSERT INTO sqlite_sequence (name, seq) VALUES ('agreements', 5538000);

CREATE TABLE product_offers (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON: [{id, name, type, required, allowedValues?, pattern?, default?}]
    characteristics TEXT NOT NULL
);

CREATE TABLE agreement_offers (
    agreement_id BIGINT NOT NULL REFERENCES agreements(id),
    offer_id BIGINT NOT NULL REFERENCES product_offers(id),
    PRIMARY KEY (agreement_id, offer_id)
);

CREATE TABLE agreement_products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id BIGINT NOT NULL REFERENCES agreements(id),
    offer_id BIGINT NOT NULL REFERENCES product_offers(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    -- JSON: [{id, value}]
    configurations TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agreement_products_agreement ON agreement_products (agreement_id, id);
INSERT INTO sqlite_sequence (name, seq) VALUES ('agreement_products', 2799000);

CREATE TABLE agreement_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    agreement_id BIGINT NOT NULL REFERENCES agreements(id),
    type TEXT NOT NULL CONSTRAINT agreement_orders_type_check CHECK (type IN ('UPDATE_PRODUCT', 'ADD_PRODUCT', 'REMOVE_PRODUCT')),
    product_id BIGINT,
    offer_id BIGINT,
    configurations TEXT NOT NULL,
    status TEXT NOT NULL CONSTRAINT agreement_orders_status_check CHECK (status IN ('RECEIVED', 'IN_PROGRESS', 'COMPLETED', 'FAILED')),
    reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX agreement_orders_agreement ON agreement_orders (agreement_id, id);
