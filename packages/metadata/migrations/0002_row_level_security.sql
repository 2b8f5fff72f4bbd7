-- Row-level security per workspace. Services that act for one workspace run as the
-- sightline_tenant role with `sightline.workspace` set for the transaction (the store's
-- `workspace` option); they see and change only that workspace's rows. The owner role (the
-- admin path, migrations) is not subject to these policies.

-- Roles belong to the server, not the database: another database may have made it already,
-- maybe at this very moment (hence both exceptions).
DO $$
BEGIN
  CREATE ROLE sightline_tenant NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

GRANT SELECT ON workspaces, metadata_version TO sightline_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON sites, write_keys, read_keys, goals, saved_queries TO sightline_tenant;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO sightline_tenant;

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE write_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE read_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE goals ENABLE ROW LEVEL SECURITY;
ALTER TABLE saved_queries ENABLE ROW LEVEL SECURITY;

-- current_setting(…, true) is NULL when unset, and NULL matches nothing: no setting, no rows.
CREATE POLICY own_workspace ON workspaces
  USING (workspace_id = current_setting('sightline.workspace', true));
CREATE POLICY own_workspace ON sites
  USING (workspace_id = current_setting('sightline.workspace', true))
  WITH CHECK (workspace_id = current_setting('sightline.workspace', true));
CREATE POLICY own_workspace ON write_keys
  USING (workspace_id = current_setting('sightline.workspace', true))
  WITH CHECK (workspace_id = current_setting('sightline.workspace', true));
CREATE POLICY own_workspace ON read_keys
  USING (workspace_id = current_setting('sightline.workspace', true))
  WITH CHECK (workspace_id = current_setting('sightline.workspace', true));
CREATE POLICY own_workspace ON goals
  USING (workspace_id = current_setting('sightline.workspace', true))
  WITH CHECK (workspace_id = current_setting('sightline.workspace', true));
CREATE POLICY own_workspace ON saved_queries
  USING (workspace_id = current_setting('sightline.workspace', true))
  WITH CHECK (workspace_id = current_setting('sightline.workspace', true));
