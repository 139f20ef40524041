// Records handed to the SQLite writer thread as JSON text (queueDecision) must be stored exactly as
// the records encoded on the main thread, and whatever the text cannot carry must stay prepared.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecorder } from '../../src/audit/recorder';
import { verifyChain } from '../../src/audit/chain';
import { RAW_INPUT, newDecisionId, prepareDecision, preparedFromQueue, queueDecision, type RawInput, type RecordWithRawInput } from '../../src/store/decisions';
import { openSqliteStore } from '../../src/store/sqlite';
import type { DecisionRecord } from '../../src/store/types';

function decision(extra: Partial<DecisionRecord>): DecisionRecord {
  return {
    decision_id: newDecisionId(),
    tenant: 'acme',
    source: 'server',
    path: '/main/deny',
    timestamp: '2026-11-27T00:00:00.123456Z',
    principal: 'ci',
    remote_addr: '10.0.0.7',
    duration_ns: 1000,
    bundles: { main: { revision: '3' } },
    ...extra,
  };
}

// Unsorted keys, integer-like keys, escapes and a lone surrogate: the text must read back to the same canonical form.
const awkwardInput = { z: 1, b: { '10': 'x', '9': 'y', a: [3, 'é\u2028', '\ud800'] }, a: -0, 'quote"': 'tab\t' };

describe('records queued as JSON text', () => {
  it('prepare on the writer side exactly as on arrival', () => {
    const r = decision({ input: awkwardInput, result: ['image uses latest'], duration_ns: 1234 });
    const queued = queueDecision(r);
    assert.equal(typeof queued, 'string');
    assert.deepEqual(preparedFromQueue(queued), prepareDecision(r));
  });

  it('carry the client\'s input text in place of the input, and prepare to the same record', () => {
    // Escapes, unsorted keys, a null and a member beside "input" that must not be recorded.
    const inputText = '{"z":1,"b":{"10":"x","9":null,"a":[3,"\\u00e9\\u2028"]},"a":-0,"quote\\"":"tab\\t"}';
    for (const raw of [{ text: `{"other":[1,2],"input":${inputText}}`, member: 'input' }, { text: inputText }] as RawInput[]) {
      const parsed = JSON.parse(raw.text);
      const r: RecordWithRawInput = decision({ input: raw.member ? parsed.input : parsed, result: ['x'] });
      r[RAW_INPUT] = raw;
      const queued = queueDecision(r);
      assert.ok(typeof queued === 'object' && 'queued' in queued, 'queued with the text apart');
      assert.ok(!queued.queued.includes('"input"'), 'the input is not encoded twice');
      assert.deepEqual(preparedFromQueue(queued), prepareDecision(r));
      assert.ok(prepareDecision(r).record.includes('"9":null'));
    }
  });

  it('stay prepared when the text would not read back the same', () => {
    const big = decision({ input: { n: 2n ** 70n } });
    const withNull = decision({ input: { owner: null } });
    for (const r of [big, withNull]) {
      const queued = queueDecision(r);
      assert.notEqual(typeof queued, 'string');
      assert.deepEqual(queued, prepareDecision(r));
    }
    // A non-finite number is refused at once, as canonical encoding refuses it.
    assert.throws(() => queueDecision(decision({ result: Number.POSITIVE_INFINITY })), TypeError);
  });

  for (const threads of [true, false]) {
    it(`are stored and chained like any record (${threads ? 'writer thread' : 'inline'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'arbiter-queued-'));
      const store = openSqliteStore(join(dir, 'arbiter.db'), { writerThread: threads, readerThread: threads });
      try {
        await store.init();
        await store.createTenant({ id: 'acme', name: 'Acme' });
        const recorder = new AuditRecorder(store);
        const records = [
          decision({ input: awkwardInput, result: true }),
          decision({ input: { n: 2n ** 70n }, result: false }),
          decision({ input: { owner: null }, result: ['x'] }),
        ];
        await Promise.all(records.map((r) => recorder.record(r)));
        const withText: RecordWithRawInput = decision({ input: { owner: null, b: 2, a: 1 }, result: true });
        withText[RAW_INPUT] = { text: '{"input": {"owner": null, "b": 2, "a": 1}, "ignored": true}', member: 'input' };
        records.push(withText);
        await recorder.record(withText);
        await recorder.recordAll([records[0], decision({ source: 'agent', input: { k: 'v' } })]);
        const { records: stored } = await store.queryDecisions({ tenant: 'acme', limit: 10 });
        assert.equal(stored.length, 5, 'the repeated id is stored once');
        for (const r of records) {
          const got = await store.getDecision('acme', r.decision_id);
          assert.ok(got, r.decision_id);
          const { seq: _s, prev_hash: _p, hash: _h, ...fields } = got;
          assert.equal(prepareDecision(fields as DecisionRecord).record, prepareDecision(r).record);
        }
        assert.deepEqual(await verifyChain(store, 'acme'), { valid: true, records: 5 });
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
