-- Payments: invoices, credited transactions, subscriptions, the audit trail and the
-- re-checks that must survive a restart. Money is integer base units (6 decimals for the
-- accepted stablecoins); times are UTC unix seconds.

CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    plan        TEXT    NOT NULL,                 -- plan id from PLANS, e.g. monthly
    days        INTEGER NOT NULL,                 -- premium days this invoice buys
    chain       TEXT    NOT NULL,                 -- ethereum | tron | solana
    token       TEXT    NOT NULL,                 -- official contract / mint address
    amount      INTEGER NOT NULL,                 -- exact amount due, base units, unique suffix included
    recipient   TEXT    NOT NULL,                 -- our receiving address at creation time
    status      TEXT    NOT NULL DEFAULT 'created', -- created | pending | paid | expired
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    paid_at     INTEGER
);
CREATE INDEX invoices_by_user ON invoices (user_id, status);
CREATE INDEX invoices_open_by_expiry ON invoices (expires_at) WHERE status IN ('created', 'pending');
-- Two open invoices to one address in one token never share an amount, so a transfer of that
-- exact amount names its invoice.
CREATE UNIQUE INDEX invoices_open_amount ON invoices (chain, token, recipient, amount)
    WHERE status IN ('created', 'pending');

-- One row per credited transaction. The UNIQUE key is what makes crediting exactly-once.
CREATE TABLE payments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    chain       TEXT    NOT NULL,
    tx_hash     TEXT    NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    user_id     INTEGER NOT NULL,
    amount      INTEGER NOT NULL,                 -- base units received
    token       TEXT    NOT NULL,
    block_time  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (chain, tx_hash)
);
CREATE INDEX payments_by_user ON payments (user_id);

CREATE TABLE subscriptions (
    user_id       INTEGER PRIMARY KEY,
    plan          TEXT    NOT NULL,
    premium_until INTEGER NOT NULL,
    reminded_for  INTEGER NOT NULL DEFAULT 0,     -- the premium_until the renewal reminder was sent for
    updated_at    INTEGER NOT NULL
);
CREATE INDEX subscriptions_by_expiry ON subscriptions (premium_until);

-- Append-only audit trail of every status change.
CREATE TABLE payment_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id  INTEGER,
    tx_hash     TEXT,
    status      TEXT    NOT NULL,                 -- created | pending | confirmed | rejected | expired | retry
    detail      TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
);
CREATE INDEX payment_events_by_invoice ON payment_events (invoice_id, id);

-- Hashes seen but not final (or not checkable because an explorer was down); the watcher
-- re-checks them with backoff, across restarts.
CREATE TABLE pending_checks (
    chain         TEXT    NOT NULL,
    tx_hash       TEXT    NOT NULL,
    invoice_id    INTEGER NOT NULL REFERENCES invoices (id),
    user_id       INTEGER NOT NULL,
    chat_id       INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_check_at INTEGER NOT NULL,
    last_status   TEXT    NOT NULL DEFAULT '',    -- why it is still pending, for the audit and /status
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (chain, tx_hash, invoice_id)
);
CREATE INDEX pending_checks_due ON pending_checks (next_check_at);
