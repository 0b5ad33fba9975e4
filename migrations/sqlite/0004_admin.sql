-- The operator's audit log and resumable broadcasts.

CREATE TABLE admin_actions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id   INTEGER NOT NULL,
    action     TEXT    NOT NULL,     -- ban | unban | grant | broadcast
    target     TEXT,
    detail     TEXT    NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
);

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id    INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'running',   -- running | done
    last_chat   INTEGER NOT NULL DEFAULT 0,           -- chats are sent in id order; resume after this
    sent        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
