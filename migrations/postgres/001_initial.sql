-- Tenants, the bundle registry, the audit log with its per-tenant hash chain, agents, settings.
-- Keys and paths use the "C" collation so that ordering and the path-prefix filter compare bytes,
-- as SQLite does. Timestamps we hand back verbatim are stored as text.

CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE bundle_versions (
  tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  bundle TEXT COLLATE "C" NOT NULL,
  version INTEGER NOT NULL,
  revision TEXT NOT NULL,
  digest TEXT NOT NULL,
  size BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  manifest TEXT NOT NULL,
  archive BYTEA NOT NULL,
  PRIMARY KEY (tenant, bundle, version)
);

CREATE TABLE active_bundles (
  tenant TEXT COLLATE "C" NOT NULL,
  bundle TEXT COLLATE "C" NOT NULL,
  version INTEGER NOT NULL,
  activated_at TEXT NOT NULL,
  PRIMARY KEY (tenant, bundle),
  FOREIGN KEY (tenant, bundle, version) REFERENCES bundle_versions(tenant, bundle, version) ON DELETE CASCADE
);

-- `record` is the canonical JSON the hash covers; the other columns are derived for filtering.
-- ts: microseconds since the epoch of the decision's timestamp.
CREATE TABLE decisions (
  tenant TEXT COLLATE "C" NOT NULL,
  seq BIGINT NOT NULL,
  decision_id TEXT COLLATE "C" NOT NULL,
  ts BIGINT NOT NULL,
  path TEXT COLLATE "C" NOT NULL,
  principal TEXT NOT NULL,
  source TEXT NOT NULL,
  outcome TEXT NOT NULL,
  bundles JSONB NOT NULL, -- array of bundle names
  record TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant, seq),
  UNIQUE (tenant, decision_id)
);

CREATE INDEX decisions_by_time ON decisions (tenant, ts);

-- One row per tenant; appends and pruning lock it (FOR UPDATE), which serialises each tenant's
-- chain across every replica.
CREATE TABLE decision_chains (
  tenant TEXT COLLATE "C" PRIMARY KEY,
  anchor_seq BIGINT NOT NULL,
  anchor_hash TEXT NOT NULL,
  head_seq BIGINT NOT NULL,
  head_hash TEXT NOT NULL
);

CREATE TABLE agents (
  tenant TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id TEXT COLLATE "C" NOT NULL,
  labels TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (tenant, agent_id)
);

CREATE TABLE agent_status_history (
  id BIGSERIAL PRIMARY KEY,
  tenant TEXT COLLATE "C" NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL,
  FOREIGN KEY (tenant, agent_id) REFERENCES agents(tenant, agent_id) ON DELETE CASCADE
);

CREATE INDEX agent_status_history_by_agent ON agent_status_history (tenant, agent_id, id);

CREATE TABLE settings (
  key TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);
