-- Attempts in flight are counted on the throttle's own row, apart from failures: how many
-- guesses are being checked now, and when that count last changed (it stops counting after a
-- minute, for a request that never finished).

ALTER TABLE identity_throttle ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identity_throttle ADD COLUMN in_flight_at TIMESTAMPTZ;
DELETE FROM identity_throttle WHERE key LIKE 'pending:%';
