-- Tenants, the bundle registry, the audit log with its per-tenant hash chain, agents, settings.

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- Versions are immutable; the archive is stored as uploaded.
CREATE TABLE bundle_versions (
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  bundle TEXT NOT NULL,
  version INTEGER NOT NULL,
  revision TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  manifest TEXT NOT NULL,
  archive BLOB NOT NULL,
  PRIMARY KEY (tenant, bundle, version)
);

-- One row per active bundle: activation and rollback are one upsert.
CREATE TABLE active_bundles (
  tenant TEXT NOT NULL,
  bundle TEXT NOT NULL,
  version INTEGER NOT NULL,
  activated_at TEXT NOT NULL,
  PRIMARY KEY (tenant, bundle),
  FOREIGN KEY (tenant, bundle, version) REFERENCES bundle_versions(tenant, bundle, version) ON DELETE CASCADE
);

-- The audit log. `record` is the canonical JSON the hash covers; the other columns are derived
-- from it for filtering. ts is microseconds since the epoch of the decision's timestamp.
CREATE TABLE decisions (
  tenant TEXT NOT NULL,
  seq INTEGER NOT NULL,
  decision_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  path TEXT NOT NULL,
  principal TEXT NOT NULL,
  source TEXT NOT NULL,
  outcome TEXT NOT NULL,
  bundles TEXT NOT NULL, -- JSON array of bundle names
  record TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant, seq),
  UNIQUE (tenant, decision_id)
) WITHOUT ROWID;

CREATE INDEX decisions_by_time ON decisions (tenant, ts);

-- Per tenant: where the remaining chain starts (moved by retention) and its last record.
CREATE TABLE decision_chains (
  tenant TEXT PRIMARY KEY,
  anchor_seq INTEGER NOT NULL,
  anchor_hash TEXT NOT NULL,
  head_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL
);

CREATE TABLE agents (
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id TEXT NOT NULL,
  labels TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (tenant, agent_id)
);

-- A row each time an agent's status document changes.
CREATE TABLE agent_status_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL,
  FOREIGN KEY (tenant, agent_id) REFERENCES agents(tenant, agent_id) ON DELETE CASCADE
);

CREATE INDEX agent_status_history_by_agent ON agent_status_history (tenant, agent_id, id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
