-- Metadata: workspaces own sites; sites own write keys, read keys (hashes only), goals and
-- saved queries. Every table below workspaces carries workspace_id so row-level security
-- is one comparison per table (0002), and a composite foreign key keeps it consistent.

CREATE TABLE workspaces (
  workspace_id text PRIMARY KEY CHECK (workspace_id ~ '^[a-z0-9_-]{1,64}$'),
  name text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
  site_id text PRIMARY KEY CHECK (site_id ~ '^[a-z0-9_-]{1,64}$'),
  seq bigserial NOT NULL,
  workspace_id text NOT NULL REFERENCES workspaces ON DELETE CASCADE,
  name text NOT NULL DEFAULT '',
  time_zone text NOT NULL DEFAULT 'UTC',
  retention_days integer NOT NULL DEFAULT 395 CHECK (retention_days BETWEEN 1 AND 3650),
  allowed_origins text[] NOT NULL DEFAULT '{*}',
  rate_per_key_per_minute integer NOT NULL DEFAULT 60000 CHECK (rate_per_key_per_minute > 0),
  rate_per_ip_per_minute integer NOT NULL DEFAULT 6000 CHECK (rate_per_ip_per_minute > 0),
  keep_ip boolean NOT NULL DEFAULT false,
  cookieless boolean NOT NULL DEFAULT false,
  block_bots boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (site_id, workspace_id)
);

-- Write keys are public (browsers send them), so they are stored as they are; a revoked key
-- stays so the edge can answer "revoked" rather than "unknown". seq keeps creation order.
CREATE TABLE write_keys (
  key text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  seq bigserial NOT NULL,
  site_id text NOT NULL,
  workspace_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  FOREIGN KEY (site_id, workspace_id) REFERENCES sites (site_id, workspace_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX write_keys_site ON write_keys (site_id, seq);

-- Read keys are secrets: only their SHA-256 is kept (the key is shown once, at creation).
-- key_id (the hash's first 12 hex digits) names a key in lists and in `keys revoke`.
CREATE TABLE read_keys (
  key_hash text PRIMARY KEY CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  key_id text NOT NULL UNIQUE,
  seq bigserial NOT NULL,
  site_id text NOT NULL,
  workspace_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  FOREIGN KEY (site_id, workspace_id) REFERENCES sites (site_id, workspace_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX read_keys_site ON read_keys (site_id, seq);

-- A goal is a conversion: an event name, or a page path.
CREATE TABLE goals (
  goal_id bigserial PRIMARY KEY,
  site_id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  event_name text CHECK (length(event_name) BETWEEN 1 AND 200),
  page_path text CHECK (length(page_path) BETWEEN 1 AND 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((event_name IS NULL) <> (page_path IS NULL)),
  UNIQUE (site_id, name),
  FOREIGN KEY (site_id, workspace_id) REFERENCES sites (site_id, workspace_id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- A saved query is a query spec (the JSON that POST /v1/sites/:site/query takes) with a name.
CREATE TABLE saved_queries (
  query_id bigserial PRIMARY KEY,
  site_id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  spec jsonb NOT NULL CHECK (jsonb_typeof(spec) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (site_id, name),
  FOREIGN KEY (site_id, workspace_id) REFERENCES sites (site_id, workspace_id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- One counter bumped by every change: readers (edge view, query service, writer) poll it
-- and reload only when it moved. NOTIFY carries it too, for readers that LISTEN.
CREATE TABLE metadata_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO metadata_version VALUES (1, 0);

CREATE FUNCTION bump_metadata_version() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE v bigint;
BEGIN
  UPDATE metadata_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  PERFORM pg_notify('sightline_metadata', v::text);
  RETURN NULL;
END $$;

CREATE TRIGGER workspaces_version AFTER INSERT OR UPDATE OR DELETE ON workspaces
  FOR EACH STATEMENT EXECUTE FUNCTION bump_metadata_version();
CREATE TRIGGER sites_version AFTER INSERT OR UPDATE OR DELETE ON sites
  FOR EACH STATEMENT EXECUTE FUNCTION bump_metadata_version();
CREATE TRIGGER write_keys_version AFTER INSERT OR UPDATE OR DELETE ON write_keys
  FOR EACH STATEMENT EXECUTE FUNCTION bump_metadata_version();
CREATE TRIGGER read_keys_version AFTER INSERT OR UPDATE OR DELETE ON read_keys
  FOR EACH STATEMENT EXECUTE FUNCTION bump_metadata_version();
CREATE TRIGGER goals_version AFTER INSERT OR UPDATE OR DELETE ON goals
  FOR EACH STATEMENT EXECUTE FUNCTION bump_metadata_version();
CREATE TRIGGER saved_queries_version AFTER INSERT OR UPDATE OR DELETE ON saved_queries
  FOR EACH STATEMENT EXECUTE FUNCTION bump_metadata_version();
