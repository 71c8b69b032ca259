-- Switching (Ofcom text-to-switch) and eSIM results.

-- What the network answered for a request beyond yes or no: a switching
-- code and its validity, an eSIM activation code, switching information.
ALTER TABLE requests ADD COLUMN result TEXT;

-- Charges billed on a connection and not yet paid, as the switching
-- information tells the customer (kept by billing; 0 until it says more).
ALTER TABLE connections ADD COLUMN balance_pence BIGINT NOT NULL DEFAULT 0;
-- When the connection ended (ported out or ceased).
-- [sqlite]
ALTER TABLE connections ADD COLUMN ended_at TIMESTAMP;
-- [postgres]
ALTER TABLE connections ADD COLUMN ended_at TIMESTAMPTZ;
-- [both]

-- PACs and STACs issued for our connections. A code is valid for 30 days
-- from issue, until used, and while its connection is live.
CREATE TABLE switching_codes (
    network TEXT NOT NULL,
    code TEXT NOT NULL,
    -- PAC or STAC.
    kind TEXT NOT NULL,
    contract_id BIGINT NOT NULL REFERENCES connections(id),
    request_id BIGINT NOT NULL REFERENCES requests(id),
-- [sqlite]
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
-- [postgres]
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
-- [both]
    PRIMARY KEY (network, code)
);
CREATE INDEX switching_codes_contract ON switching_codes(contract_id, kind, expires_at);
CREATE INDEX requests_customer ON requests(customer_id, id);
