-- The per-site quota the ingest bridges enforce (ADR 0032): events per minute over a sliding
-- window, 0 = unlimited. A limit is at least one full batch (500 events, LIMITS.maxEventsPerBatch):
-- a batch is accepted or refused whole, so a smaller limit would refuse a full batch forever.
ALTER TABLE sites
  ADD COLUMN events_per_minute integer NOT NULL DEFAULT 0
  CHECK (events_per_minute = 0 OR events_per_minute >= 500);
