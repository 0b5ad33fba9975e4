-- Conversation memory, daily quotas and the LLM cost ledger.

-- One row per conversation: (chat, user) in private chats, (chat, 0) for a whole group.
CREATE TABLE conversations (
    chat_id            INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    session_started_at INTEGER NOT NULL,
    last_activity_at   INTEGER NOT NULL,
    summary            TEXT    NOT NULL DEFAULT '',
    summarized_through INTEGER NOT NULL DEFAULT 0,   -- highest turn id folded into the summary
    session_from_turn  INTEGER NOT NULL DEFAULT 0,   -- turns below this id belong to older sessions
    PRIMARY KEY (chat_id, user_id)
);

CREATE TABLE turns (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    role       TEXT    NOT NULL,                      -- user | assistant
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX turns_by_conversation ON turns (chat_id, user_id, id);

-- Counters per user per UTC day (day = days since the unix epoch).
CREATE TABLE daily_usage (
    user_id        INTEGER NOT NULL,
    day            INTEGER NOT NULL,
    messages       INTEGER NOT NULL DEFAULT 0,
    scans          INTEGER NOT NULL DEFAULT 0,
    messages_notified INTEGER NOT NULL DEFAULT 0,  -- the over-quota notice was sent today
    scans_notified    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);

-- One row per completion: what it cost, in tokens and micro-USD.
CREATE TABLE llm_ledger (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL,
    chat_id           INTEGER NOT NULL,
    day               INTEGER NOT NULL,
    model             TEXT    NOT NULL,
    kind              TEXT    NOT NULL,               -- text | vision | summary
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_micros       INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX llm_ledger_by_user_day ON llm_ledger (user_id, day);
