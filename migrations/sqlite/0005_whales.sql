-- Whale watching: the wallets each trader follows, and the alerts already sent.

CREATE TABLE watches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,            -- where the alerts go
    chain      TEXT    NOT NULL,            -- ethereum | tron | solana
    address    TEXT    NOT NULL,            -- canonical spelling (EIP-55 for Ethereum)
    label      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,            -- transfers before this are history, not news
    UNIQUE (user_id, chain, address)
);
CREATE INDEX watches_by_wallet ON watches (chain, address);

-- One row per watch and transaction: an alert is sent at most once, across restarts.
CREATE TABLE whale_alerts (
    watch_id   INTEGER NOT NULL,
    tx_hash    TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL,
    PRIMARY KEY (watch_id, tx_hash)
);
