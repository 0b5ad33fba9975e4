-- The Telegram message a stored exchange answered. A message replayed after a crash that
-- came between storing its exchange and delivering the answer is answered from here, not
-- asked of the model again (nor stored twice). NULL for older turns and for the REPL.
ALTER TABLE turns ADD COLUMN message_id BIGINT;
