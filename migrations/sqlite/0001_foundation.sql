-- Users, chats and the durable update inbox. Times are UTC unix seconds.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,          -- Telegram user id
    first_name    TEXT    NOT NULL DEFAULT '',
    username      TEXT,
    language_code TEXT,
    persona       TEXT,                          -- chosen personality id; NULL = default
    is_banned     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);

CREATE TABLE chats (
    id          INTEGER PRIMARY KEY,            -- Telegram chat id
    kind        TEXT    NOT NULL,               -- private | group | supergroup | channel
    title       TEXT,
    blocked_at  INTEGER,                        -- set when Telegram says the bot was blocked
    created_at  INTEGER NOT NULL
);

-- Every update is written here before its offset is confirmed to Telegram, so a crash never
-- loses one, and a redelivered update_id is recognised and not answered twice.
CREATE TABLE updates (
    update_id   INTEGER PRIMARY KEY,
    chat_id     INTEGER,
    payload     TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending',   -- pending | done
    received_at INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX updates_pending ON updates (status) WHERE status = 'pending';
