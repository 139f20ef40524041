// Agents' status reports (protocols.md §4) and the fleet view built from them: what each agent
// runs, when it last activated, its errors, and drift against the tenant's active versions.

import { ownMember, setMember } from '../json-member';
import type { AgentStatus } from '../store/types';

/** An agent's labels as strings: a label that is not a string is kept as its JSON text. */
export function stringLabels(labels: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) setMember(out, k, typeof v === 'string' ? v : JSON.stringify(v));
  return out;
}

export class StatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatusError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's zero time: OPA sends it for events that have not happened yet. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * The status document to keep: the report without its Prometheus `metrics` (hundreds of counters
 * that change on every report), so the history records changes of what the agent runs.
 */
export function statusToKeep(body: unknown, tenant: string, now: Date): AgentStatus {
  if (!isObject(body)) throw new StatusError('the body must be an OPA status report (a JSON object)');
  const labels = body.labels;
  if (!isObject(labels) || typeof labels.id !== 'string' || labels.id === '') throw new StatusError('labels.id must be a non-empty string (the agent id)');
  if (labels.id.length > 256) throw new StatusError('labels.id is longer than 256 characters');
  if (body.bundles !== undefined && !isObject(body.bundles)) throw new StatusError('bundles must be an object');
  const { metrics: _metrics, ...kept } = body;
  return { tenant, agent_id: labels.id, labels: stringLabels(labels), last_seen: now.toISOString(), status: kept };
}

export interface ActiveVersion {
  version: number;
  revision: string;
}

export interface AgentBundleView {
  active_revision: string | null;
  last_successful_activation: string | null;
  last_successful_download: string | null;
  last_request: string | null;
  /** OPA's error of the last attempt: code, message, http_code, errors. */
  error?: Record<string, unknown>;
  /** The tenant's active version of this bundle, when it has one. */
  expected?: ActiveVersion;
  in_sync: boolean;
}

export interface AgentView {
  id: string;
  labels: Record<string, string>;
  last_seen: string;
  stale: boolean;
  bundles: Record<string, AgentBundleView>;
  discovery?: AgentBundleView;
  decision_logs?: Record<string, unknown>;
  plugins?: Record<string, unknown>;
  /** Why this agent counts as drifted; empty when it does not. */
  drift: string[];
}

export interface FleetView {
  result: AgentView[];
  active: Record<string, ActiveVersion>;
  drift: { stale: string[]; out_of_sync: string[] };
  stale_after_seconds: number;
}

const time = (v: unknown): string | null => (typeof v === 'string' && v !== GO_ZERO_TIME ? v : null);

function bundleView(b: Record<string, unknown>, expected: ActiveVersion | undefined): AgentBundleView {
  const revision = typeof b.active_revision === 'string' ? b.active_revision : null;
  const view: AgentBundleView = {
    active_revision: revision,
    last_successful_activation: time(b.last_successful_activation),
    last_successful_download: time(b.last_successful_download),
    last_request: time(b.last_request),
    in_sync: expected !== undefined && revision === expected.revision,
  };
  if (b.code !== undefined || b.message !== undefined) {
    view.error = {};
    for (const k of ['code', 'message', 'http_code', 'errors']) if (b[k] !== undefined) view.error[k] = b[k];
  }
  if (expected) view.expected = expected;
  return view;
}

/** The fleet of a tenant, with drift against `active` (the tenant's active version per bundle). */
export function fleetView(agents: AgentStatus[], active: Record<string, ActiveVersion>, staleAfterSeconds: number, now: Date): FleetView {
  const result: AgentView[] = [];
  const drift = { stale: [] as string[], out_of_sync: [] as string[] };
  for (const a of agents) {
    const status = isObject(a.status) ? a.status : {};
    const reported = isObject(status.bundles) ? status.bundles : {};
    const reasons: string[] = [];
    const bundles: Record<string, AgentBundleView> = {};
    for (const [name, b] of Object.entries(reported)) {
      if (!isObject(b)) continue;
      const activeVersion = ownMember(active, name) as ActiveVersion | undefined;
      const view = bundleView(b, activeVersion);
      setMember(bundles, name, view);
      if (!activeVersion) reasons.push(`runs bundle ${name}, which is not active on the tenant`);
      else if (!view.in_sync) reasons.push(`bundle ${name}: runs revision ${JSON.stringify(view.active_revision)}, the active version ${activeVersion.version} has revision ${JSON.stringify(activeVersion.revision)}`);
    }
    for (const name of Object.keys(active)) if (!bundles[name]) reasons.push(`bundle ${name} is active on the tenant but the agent does not report it`);
    const outOfSync = reasons.length > 0;
    const silentFor = (now.getTime() - Date.parse(a.last_seen)) / 1000;
    const stale = !(silentFor <= staleAfterSeconds);
    if (stale) reasons.push(`not seen for ${Math.round(silentFor)} s (limit ${staleAfterSeconds} s)`);
    if (stale) drift.stale.push(a.agent_id);
    if (outOfSync) drift.out_of_sync.push(a.agent_id);
    const view: AgentView = { id: a.agent_id, labels: a.labels, last_seen: a.last_seen, stale, bundles, drift: reasons };
    if (isObject(status.discovery)) view.discovery = bundleView(status.discovery, undefined);
    if (isObject(status.decision_logs)) view.decision_logs = status.decision_logs;
    if (isObject(status.plugins)) view.plugins = status.plugins;
    result.push(view);
  }
  return { result, active, drift, stale_after_seconds: staleAfterSeconds };
}
