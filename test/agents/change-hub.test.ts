import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ChangeHub } from '../../src/agents';

describe('ChangeHub', () => {
  it("wakes every waiter of a tenant at once and leaves other tenants' waiting", async () => {
    const hub = new ChangeHub();
    const a = [hub.wait('a', 10_000, new EventEmitter()), hub.wait('a', 10_000, new EventEmitter())];
    const b = hub.wait('b', 50, new EventEmitter());
    assert.equal(hub.waiting, 3);
    hub.notify('a');
    assert.deepEqual(await Promise.all(a), ['changed', 'changed']);
    assert.equal(hub.waiting, 1);
    assert.equal(await b, 'timeout');
    assert.equal(hub.waiting, 0);
  });

  it('forgets a waiter whose connection closes, and answers everyone on close', async () => {
    const hub = new ChangeHub();
    const connection = new EventEmitter();
    const gone = hub.wait('a', 10_000, connection);
    connection.emit('close');
    assert.equal(await gone, 'closed');
    assert.equal(connection.listenerCount('close'), 0);
    const held = hub.wait('a', 10_000, new EventEmitter());
    hub.close();
    assert.equal(await held, 'timeout');
    assert.equal(await hub.wait('a', 10_000, new EventEmitter()), 'timeout', 'no new waits after close');
    assert.equal(hub.waiting, 0);
  });
});
