// The storage contract: every Store implementation must pass these tests. A backend's test file
// calls storeContract with a factory that opens a fresh, initialised, empty store.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { verifyChain } from '../../src/audit/chain';
import { GENESIS_HASH, chainHash, recordText, classifyOutcome } from '../../src/store/decisions';
import { ConflictError, InvalidArgumentError, NotFoundError, type BundleActivation, type DecisionRecord, type Store } from '../../src/store/types';

export interface StoreHandle {
  store: Store;
  /** Closes the store and removes what the factory created. */
  cleanup(): Promise<void>;
}

export function decision(tenant: string, overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decision_id: randomUUID(),
    tenant,
    source: 'server',
    path: 'main/deny',
    input: { kind: 'Deployment', spec: { replicas: 3 } },
    result: [],
    bundles: { main: { version: 1, revision: 'r1', digest: 'sha256:00' } },
    principal: 'ci',
    remote_addr: '10.0.0.1',
    timestamp: '2026-01-01T00:00:00.000000001Z',
    duration_ns: 1500,
    ...overrides,
  };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function bundleInput(tenant: string, bundle: string, archive: Buffer, activate: boolean) {
  return {
    tenant,
    bundle,
    revision: `rev-${archive.length}`,
    digest: `sha256:${archive.toString('hex')}`,
    size: archive.length,
    created_by: 'ci-bot',
    manifest: { roots: [bundle], revision: `rev-${archive.length}` },
    archive,
    activate,
  };
}

export function storeContract(backend: string, open: () => Promise<StoreHandle>): void {
  describe(`Store contract: ${backend}`, () => {
    let h: StoreHandle;
    let store: Store;
    before(async () => {
      h = await open();
      store = h.store;
    });
    after(async () => h.cleanup());

    describe('tenants', () => {
      it('creates, reads, lists and deletes tenants; a second create conflicts', async () => {
        const t = await store.createTenant({ id: 't-crud', name: 'Team CRUD' });
        assert.equal(t.id, 't-crud');
        assert.ok(!Number.isNaN(Date.parse(t.created_at)));
        assert.deepEqual(await store.getTenant('t-crud'), t);
        await assert.rejects(store.createTenant({ id: 't-crud', name: 'again' }), ConflictError);
        assert.ok((await store.listTenants()).some((x) => x.id === 't-crud' && x.name === 'Team CRUD'));
        assert.equal(await store.deleteTenant('t-crud'), true);
        assert.equal(await store.deleteTenant('t-crud'), false);
        assert.equal(await store.getTenant('t-crud'), undefined);
      });
    });

    describe('bundle registry', () => {
      before(async () => {
        await store.createTenant({ id: 'reg-a', name: 'A' });
        await store.createTenant({ id: 'reg-b', name: 'B' });
      });

      it('numbers versions per bundle and keeps archives byte for byte', async () => {
        const v1 = await store.addBundleVersion(bundleInput('reg-a', 'authz', Buffer.from([1, 2, 3]), true));
        const v2 = await store.addBundleVersion(bundleInput('reg-a', 'authz', Buffer.from([4, 5, 6, 7]), false));
        const other = await store.addBundleVersion(bundleInput('reg-a', 'kube', Buffer.from([9]), true));
        assert.deepEqual([v1.version, v2.version, other.version], [1, 2, 1]);
        assert.equal(v1.active, true);
        assert.equal(v2.active, false);
        const got = await store.getBundleVersion('reg-a', 'authz', 2);
        assert.ok(got);
        assert.deepEqual([...got.archive], [4, 5, 6, 7]);
        assert.equal(got.meta.size, 4);
        assert.equal(got.meta.created_by, 'ci-bot');
        assert.deepEqual(got.meta.manifest, { roots: ['authz'], revision: 'rev-4' });
        assert.equal(got.meta.active, false);
        assert.equal(await store.getBundleVersion('reg-a', 'authz', 3), undefined);
        assert.deepEqual((await store.listBundleVersions('reg-a', 'authz')).map((v) => [v.version, v.active]), [[1, true], [2, false]]);
      });

      it('lists the latest version of each bundle with the active one', async () => {
        const list = await store.listBundles('reg-a');
        const authz = list.find((b) => b.bundle === 'authz');
        assert.ok(authz);
        assert.equal(authz.version, 2);
        assert.equal(authz.active, false);
        assert.equal(authz.active_version, 1);
        assert.equal(list.find((b) => b.bundle === 'kube')?.active, true);
        assert.deepEqual(await store.listBundles('reg-b'), []);
      });

      it('activates (and rolls back) atomically and deactivates', async () => {
        const activated = await store.activateBundleVersion('reg-a', 'authz', 2);
        assert.equal(activated?.version, 2);
        assert.equal(activated?.active, true);
        let active = await store.listActiveBundles('reg-a');
        assert.deepEqual(active.map((b) => [b.meta.bundle, b.meta.version]), [['authz', 2], ['kube', 1]]);
        assert.deepEqual([...active[0].archive], [4, 5, 6, 7]);
        assert.equal((await store.activateBundleVersion('reg-a', 'authz', 1))?.version, 1);
        assert.equal(await store.activateBundleVersion('reg-a', 'authz', 99), undefined);
        active = await store.listActiveBundles('reg-a');
        assert.equal(active.find((b) => b.meta.bundle === 'authz')?.meta.version, 1);
        assert.equal(await store.deactivateBundle('reg-a', 'kube'), true);
        assert.equal(await store.deactivateBundle('reg-a', 'kube'), false);
        assert.deepEqual((await store.listActiveBundles('reg-a')).map((b) => b.meta.bundle), ['authz']);
        assert.equal((await store.listBundleVersions('reg-a', 'kube'))[0].active, false);
      });

      it('keeps tenants apart and lists active bundles of every tenant', async () => {
        await store.addBundleVersion(bundleInput('reg-b', 'authz', Buffer.from('b'), true));
        assert.equal((await store.listBundleVersions('reg-b', 'authz')).length, 1);
        const all = await store.listActiveBundles();
        assert.ok(all.some((b) => b.meta.tenant === 'reg-a' && b.meta.bundle === 'authz' && b.meta.version === 1));
        assert.ok(all.some((b) => b.meta.tenant === 'reg-b' && b.meta.bundle === 'authz' && b.meta.version === 1));
        assert.ok((await store.listActiveBundles('reg-b')).every((b) => b.meta.tenant === 'reg-b'));
      });

      it('refuses a version for an unknown tenant and drops bundles with their tenant', async () => {
        await assert.rejects(store.addBundleVersion(bundleInput('nobody', 'x', Buffer.from('x'), true)), NotFoundError);
        await store.createTenant({ id: 'reg-gone', name: 'Gone' });
        await store.addBundleVersion(bundleInput('reg-gone', 'x', Buffer.from('x'), true));
        await store.deleteTenant('reg-gone');
        assert.deepEqual(await store.listActiveBundles('reg-gone'), []);
        assert.deepEqual(await store.listBundleVersions('reg-gone', 'x'), []);
      });

      it('announces committed activations, rollbacks and deactivations to subscribers', async () => {
        const seen: BundleActivation[] = [];
        const unsubscribe = await store.onBundleActivated((e) => seen.push(e));
        await store.addBundleVersion(bundleInput('reg-b', 'announced', Buffer.from('1'), false));
        await store.addBundleVersion(bundleInput('reg-b', 'announced', Buffer.from('2'), true));
        await store.activateBundleVersion('reg-b', 'announced', 1);
        await store.activateBundleVersion('reg-b', 'announced', 7);
        await store.deactivateBundle('reg-b', 'announced');
        await store.deactivateBundle('reg-b', 'announced');
        const deadline = Date.now() + 1000;
        while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(seen, [
          { tenant: 'reg-b', bundle: 'announced', version: 2 },
          { tenant: 'reg-b', bundle: 'announced', version: 1 },
          { tenant: 'reg-b', bundle: 'announced' },
        ]);
        await unsubscribe();
        await store.activateBundleVersion('reg-b', 'announced', 2);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(seen.length, 3);
      });

      it('numbers concurrent uploads without gaps or repeats', async () => {
        const uploads = Array.from({ length: 12 }, (_, i) => store.addBundleVersion(bundleInput('reg-b', 'busy', Buffer.from([i]), i % 2 === 0)));
        const versions = (await Promise.all(uploads)).map((v) => v.version).sort((a, b) => a - b);
        assert.deepEqual(versions, Array.from({ length: 12 }, (_, i) => i + 1));
      });
    });

    describe('audit log', () => {
      it('assigns per-tenant seq and a hash chain over the canonical record', async () => {
        const a = [decision('log-a'), decision('log-a'), decision('log-b'), decision('log-a')];
        assert.deepEqual(await store.appendDecisions(a), { inserted: 4, duplicates: 0 });
        const chainA = await collect(store.iterateDecisions('log-a'));
        assert.deepEqual(chainA.map((r) => r.seq), [1, 2, 3]);
        assert.deepEqual(chainA.map((r) => r.decision_id), [a[0], a[1], a[3]].map((r) => r.decision_id));
        let prev = GENESIS_HASH;
        for (const r of chainA) {
          assert.equal(r.prev_hash, prev);
          assert.equal(r.hash, chainHash(prev, r.seq!, recordText(r)));
          prev = r.hash!;
        }
        // The raw walk hands out exactly the canonical text the hash covers.
        const entries = await collect(store.iterateChain('log-a'));
        assert.deepEqual(
          entries.map((e) => [e.seq, e.decision_id, e.text, e.prev_hash, e.hash]),
          chainA.map((r) => [r.seq, r.decision_id, recordText(r), r.prev_hash, r.hash]),
        );
        assert.deepEqual((await collect(store.iterateChain('log-a', 3))).map((e) => e.seq), [3]);
        const chainB = await collect(store.iterateDecisions('log-b'));
        assert.deepEqual(chainB.map((r) => [r.seq, r.prev_hash]), [[1, GENESIS_HASH]]);
        const state = await store.getChainState('log-a');
        assert.deepEqual(state, { tenant: 'log-a', anchor_seq: 1, anchor_hash: GENESIS_HASH, head_seq: 3, head_hash: prev });
        assert.equal(await store.getChainState('log-none'), undefined);
      });

      it('counts duplicate decision ids (across and within batches) instead of inserting them', async () => {
        const first = decision('dup');
        await store.appendDecisions([first]);
        const fresh = decision('dup');
        const res = await store.appendDecisions([{ ...first, result: 'changed' }, fresh, { ...fresh }]);
        assert.deepEqual(res, { inserted: 1, duplicates: 2 });
        assert.deepEqual((await collect(store.iterateDecisions('dup'))).map((r) => r.seq), [1, 2]);
        assert.deepEqual((await store.getDecision('dup', first.decision_id))?.result, []);
        // The same id in another tenant is another decision.
        assert.deepEqual(await store.appendDecisions([{ ...first, tenant: 'dup-other' }]), { inserted: 1, duplicates: 0 });
        assert.equal((await verifyChain(store, 'dup')).valid, true);
      });

      it('returns a record exactly as recorded, big integers and absent members included', async () => {
        const r = decision('exact', {
          input: { n: 12345678901234567890n, f: 1.5, s: 'é\u0001', nested: [{ a: null }] },
          result: undefined,
          labels: { id: 'agent-1' },
          erased: ['/input/password'],
          masked: ['/input/ssn'],
          source: 'agent',
          error: undefined,
        });
        await store.appendDecisions([r]);
        const got = await store.getDecision('exact', r.decision_id);
        assert.ok(got);
        const { seq, prev_hash, hash, ...rest } = got;
        assert.equal(seq, 1);
        assert.equal(prev_hash, GENESIS_HASH);
        assert.equal(typeof hash, 'string');
        assert.deepEqual(rest, stripUndefined(r));
        assert.equal('result' in got, false);
        assert.equal((got.input as { n: bigint }).n, 12345678901234567890n);
        assert.equal(await store.getDecision('exact', 'missing'), undefined);
        assert.equal(await store.getDecision('other-tenant', r.decision_id), undefined);
      });

      it('keeps ids, paths, principals and bundle names holding NUL and unpaired surrogates findable', async () => {
        // Clients and agents choose these strings; PostgreSQL text cannot hold either character.
        const odd = 'a\u0000b\ud800c';
        const r = decision('odd', {
          decision_id: `id-${odd}`,
          path: `p/${odd}`,
          principal: `who-${odd}`,
          bundles: { [`b-${odd}`]: { revision: '1' } },
          input: { s: odd },
        });
        assert.deepEqual(await store.appendDecisions([r]), { inserted: 1, duplicates: 0 });
        assert.deepEqual(await store.appendDecisions([r]), { inserted: 0, duplicates: 1 });
        const got = await store.getDecision('odd', r.decision_id);
        assert.equal(got?.decision_id, r.decision_id);
        assert.deepEqual(got?.input, { s: odd });
        for (const filter of [{ path: `p/${odd}` }, { principal: `who-${odd}` }, { bundle: `b-${odd}` }]) {
          const { records } = await store.queryDecisions({ tenant: 'odd', limit: 10, ...filter });
          assert.deepEqual(records.map((x) => x.decision_id), [r.decision_id], JSON.stringify(filter));
        }
        assert.deepEqual(await verifyChain(store, 'odd'), { valid: true, records: 1 });
      });

      it('rejects malformed records with a typed error and writes nothing of the batch', async () => {
        const good = decision('bad-batch');
        await assert.rejects(store.appendDecisions([good, decision('bad-batch', { timestamp: 'yesterday' })]), InvalidArgumentError);
        await assert.rejects(store.appendDecisions([decision('bad-batch', { decision_id: '' })]), InvalidArgumentError);
        assert.equal(await store.getDecision('bad-batch', good.decision_id), undefined);
      });

      it('serialises concurrent appends into one gapless chain', async () => {
        const batches = Array.from({ length: 20 }, (_, i) => Array.from({ length: (i % 5) + 1 }, () => decision('concurrent')));
        const results = await Promise.all(batches.map((b) => store.appendDecisions(b)));
        const total = batches.reduce((n, b) => n + b.length, 0);
        assert.equal(results.reduce((n, r) => n + r.inserted, 0), total);
        const seqs = (await collect(store.iterateDecisions('concurrent'))).map((r) => r.seq);
        assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1));
        assert.deepEqual(await verifyChain(store, 'concurrent'), { valid: true, records: total });
      });

      describe('queries', () => {
        const T = 'query';
        const records: DecisionRecord[] = [];
        before(async () => {
          const at = (i: number) => `2026-03-01T00:00:${String(i).padStart(2, '0')}.${'5'.repeat(9)}Z`;
          for (let i = 0; i < 30; i++) {
            const kind = i % 5;
            records.push(
              decision(T, {
                path: kind === 4 ? '/kube/admission' : i % 2 ? 'main/deny' : 'main/allow',
                result: kind === 0 ? true : kind === 1 ? ['no latest tag'] : kind === 2 ? undefined : kind === 3 ? false : { allowed: true },
                error: kind === 2 && i % 10 === 2 ? { code: 'eval_conflict_error', message: 'x' } : undefined,
                principal: i < 10 ? 'alice' : 'bob',
                source: i % 3 === 0 ? 'agent' : 'server',
                bundles: i % 4 === 0 ? { kube: { revision: 'k' } } : { main: { version: 1 } },
                timestamp: at(i),
              }),
            );
          }
          await store.appendDecisions(records);
        });

        const ids = (rs: DecisionRecord[]) => rs.map((r) => r.decision_id).sort();
        const query = async (q: Omit<Parameters<Store['queryDecisions']>[0], 'tenant' | 'limit'>) =>
          (await store.queryDecisions({ tenant: T, limit: 1000, ...q })).records;

        it('filters by time range, path (and below), bundle, principal, source and outcome', async () => {
          assert.deepEqual(ids(await query({ since: '2026-03-01T00:00:10Z', until: '2026-03-01T00:00:20Z' })), ids(records.slice(10, 20)));
          // Sub-millisecond precision counts: record 5 is at .555555555 s.
          assert.deepEqual(ids(await query({ since: '2026-03-01T00:00:05.5555Z', until: '2026-03-01T00:00:05.555556Z' })), ids([records[5]]));
          assert.deepEqual(ids(await query({ since: '2026-03-01T01:00:09+01:00', until: '2026-03-01T01:00:10+01:00' })), ids([records[9]]));
          assert.deepEqual(ids(await query({ path: 'main/deny' })), ids(records.filter((r) => r.path === 'main/deny')));
          assert.deepEqual(ids(await query({ path: 'main' })), ids(records.filter((r) => r.path.startsWith('main/'))));
          assert.deepEqual(ids(await query({ path: 'kube/admission' })), ids(records.filter((r) => r.path === '/kube/admission')));
          assert.deepEqual(await query({ path: 'mai' }), []);
          assert.deepEqual(ids(await query({ bundle: 'kube' })), ids(records.filter((r) => 'kube' in r.bundles)));
          assert.deepEqual(ids(await query({ principal: 'alice' })), ids(records.slice(0, 10)));
          assert.deepEqual(ids(await query({ source: 'agent' })), ids(records.filter((r) => r.source === 'agent')));
          for (const outcome of ['allowed', 'denied', 'undefined', 'error'] as const) {
            const expected = records.filter((r) => classifyOutcome(r) === outcome);
            assert.ok(expected.length > 0, outcome);
            assert.deepEqual(ids(await query({ outcome })), ids(expected), outcome);
          }
          assert.deepEqual(ids(await query({ principal: 'bob', outcome: 'denied', source: 'server' })),
            ids(records.filter((r) => r.principal === 'bob' && classifyOutcome(r) === 'denied' && r.source === 'server')));
        });

        it('pages with an opaque cursor, newest first by default, without overlap or loss', async () => {
          for (const order of [undefined, 'asc', 'desc'] as const) {
            const seen: number[] = [];
            let cursor: string | undefined;
            let pages = 0;
            do {
              const page = await store.queryDecisions({ tenant: T, limit: 7, cursor, order, principal: 'bob' });
              seen.push(...page.records.map((r) => r.seq!));
              cursor = page.next_cursor;
              pages++;
            } while (cursor);
            assert.equal(pages, 3);
            const expected = Array.from({ length: 20 }, (_, i) => i + 11);
            assert.deepEqual(seen, order === 'asc' ? expected : expected.reverse());
          }
        });

        it('rejects a bad cursor, limit or timestamp with a typed error', async () => {
          await assert.rejects(store.queryDecisions({ tenant: T, limit: 5, cursor: 'not-a-cursor' }), InvalidArgumentError);
          await assert.rejects(store.queryDecisions({ tenant: T, limit: 0 }), InvalidArgumentError);
          await assert.rejects(store.queryDecisions({ tenant: T, limit: 1.5 }), InvalidArgumentError);
          await assert.rejects(store.queryDecisions({ tenant: T, limit: 5, since: '2026-13-45' }), InvalidArgumentError);
        });
      });

      it('iterates a long chain in order from any seq', async () => {
        const many = Array.from({ length: 1234 }, () => decision('long'));
        await store.appendDecisions(many);
        const all = await collect(store.iterateDecisions('long'));
        assert.deepEqual(all.map((r) => r.decision_id), many.map((r) => r.decision_id));
        const tail = await collect(store.iterateDecisions('long', 1000));
        assert.deepEqual(tail.map((r) => r.seq), Array.from({ length: 235 }, (_, i) => i + 1000));
      });

      it('prunes the old prefix of each chain and the rest still verifies', async () => {
        const at = (day: number) => `2025-06-${String(day).padStart(2, '0')}T12:00:00Z`;
        // Day 5 sits between newer records: it must stay until everything before it goes.
        const days = [1, 2, 3, 10, 5, 11, 12];
        await store.appendDecisions(days.map((d) => decision('prune-a', { timestamp: at(d) })));
        await store.appendDecisions([1, 2].map((d) => decision('prune-b', { timestamp: at(d) })));
        const removed = await store.pruneDecisions(at(9), { batchSize: 2 });
        assert.equal(removed, 5);
        assert.deepEqual((await collect(store.iterateDecisions('prune-a'))).map((r) => r.seq), [4, 5, 6, 7]);
        assert.deepEqual(await collect(store.iterateDecisions('prune-b')), []);
        assert.deepEqual(await verifyChain(store, 'prune-a'), { valid: true, records: 4 });
        assert.deepEqual(await verifyChain(store, 'prune-b'), { valid: true, records: 0 });
        const a = await store.getChainState('prune-a');
        assert.equal(a?.anchor_seq, 4);
        // Appending after a full prune continues the chain from its head.
        await store.appendDecisions([decision('prune-b', { timestamp: at(20) })]);
        assert.deepEqual((await collect(store.iterateDecisions('prune-b'))).map((r) => r.seq), [3]);
        assert.deepEqual(await verifyChain(store, 'prune-b'), { valid: true, records: 1 });
        assert.equal(await store.pruneDecisions(at(11), { batchSize: 100 }), 2);
        assert.deepEqual((await collect(store.iterateDecisions('prune-a'))).map((r) => r.seq), [6, 7]);
        assert.deepEqual(await verifyChain(store, 'prune-a'), { valid: true, records: 2 });
        await assert.rejects(store.pruneDecisions('last week'), InvalidArgumentError);
      });
    });

    describe('agents and settings', () => {
      before(async () => store.createTenant({ id: 'fleet', name: 'Fleet' }));

      it('keeps the latest status per agent and a history of changes only', async () => {
        const base = { tenant: 'fleet', agent_id: 'a1', labels: { id: 'a1', version: '1.4.0' } };
        await store.upsertAgentStatus({ ...base, last_seen: '2026-01-01T00:00:00Z', status: { bundles: { main: { active_revision: 'r1' } } } });
        await store.upsertAgentStatus({ ...base, last_seen: '2026-01-01T00:01:00Z', status: { bundles: { main: { active_revision: 'r1' } } } });
        await store.upsertAgentStatus({ ...base, last_seen: '2026-01-01T00:02:00Z', status: { bundles: { main: { active_revision: 'r2' } } } });
        await store.upsertAgentStatus({ tenant: 'fleet', agent_id: 'a2', labels: { id: 'a2' }, last_seen: '2026-01-01T00:03:00Z', status: {} });
        const agents = await store.listAgents('fleet');
        assert.deepEqual(agents.map((a) => [a.agent_id, a.last_seen]), [['a1', '2026-01-01T00:02:00Z'], ['a2', '2026-01-01T00:03:00Z']]);
        assert.deepEqual(agents[0].status, { bundles: { main: { active_revision: 'r2' } } });
        assert.deepEqual(agents[0].labels, { id: 'a1', version: '1.4.0' });
        const history = await store.listAgentStatusHistory('fleet', 'a1', 10);
        assert.deepEqual(history.map((h) => h.received_at), ['2026-01-01T00:02:00Z', '2026-01-01T00:00:00Z']);
        assert.deepEqual(await store.listAgents('reg-a'), []);
        await assert.rejects(
          store.upsertAgentStatus({ tenant: 'no-such-tenant', agent_id: 'a', labels: {}, last_seen: '2026-01-01T00:00:00Z', status: {} }),
          NotFoundError,
        );
      });

      it('keeps the status of an agent whose id holds NUL and an unpaired surrogate', async () => {
        const id = 'agent\u0000\udc00';
        await store.upsertAgentStatus({ tenant: 'fleet', agent_id: id, labels: { id }, last_seen: '2026-01-01T00:00:00Z', status: { s: id } });
        const history = await store.listAgentStatusHistory('fleet', id, 10);
        assert.deepEqual(history.map((h) => h.status), [{ s: id }]);
      });

      it('stores settings by key', async () => {
        assert.equal(await store.getSetting('jwt.secret'), undefined);
        await store.setSetting('jwt.secret', 's1');
        await store.setSetting('jwt.secret', 's2');
        assert.equal(await store.getSetting('jwt.secret'), 's2');
      });
    });
  });
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
