-- Users, chats and the durable update inbox. Times are UTC unix seconds.
CREATE TABLE users (
    id            BIGINT PRIMARY KEY,          -- Telegram user id
    first_name    TEXT    NOT NULL DEFAULT '',
    username      TEXT,
    language_code TEXT,
    persona       TEXT,                          -- chosen personality id; NULL = default
    is_banned     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);

CREATE TABLE chats (
    id          BIGINT PRIMARY KEY,            -- Telegram chat id
    kind        TEXT    NOT NULL,               -- private | group | supergroup | channel
    title       TEXT,
    blocked_at  BIGINT,                        -- set when Telegram says the bot was blocked
    created_at  BIGINT NOT NULL
);

-- Every update is written here before its offset is confirmed to Telegram, so a crash never
-- loses one, and a redelivered update_id is recognised and not answered twice.
CREATE TABLE updates (
    update_id   BIGINT PRIMARY KEY,
    chat_id     BIGINT,
    payload     TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending',   -- pending | done
    received_at BIGINT NOT NULL,
    done_at     BIGINT
);
CREATE INDEX updates_pending ON updates (status) WHERE status = 'pending';
