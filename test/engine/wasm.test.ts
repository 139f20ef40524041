// policy.wasm through the real @open-policy-agent/opa-wasm SDK: the fixture is a hand-written
// module (test/fixtures/wasm/policy.wat) implementing OPA's Wasm ABI, assembled with wabt.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import wabt from 'wabt';
import { readBundle } from '../../src/bundle/read';
import { writeBundle } from '../../src/bundle/write';
import { loadWasmModule, validateWasm, WasmModuleError, type WasmPolicy } from '../../src/engine/wasm';
import { BuiltinError, lookupBuiltin, register } from '../../src/rego/builtins/registry';
import { RegoError } from '../../src/rego/errors';
import { fromJSON, toJSON } from '../../src/rego/eval/values';
import { buildFixtureWasm, fixtureBundleFiles, FIXTURE_DATA, FIXTURE_ENTRYPOINTS } from '../fixtures/wasm/fixture';

// Test-only host built-ins, registered in this test process's table.
register(
  {
    name: 'arbiter_test.fails',
    args: ['string', 'array<any>'],
    result: 'string',
    impl: () => {
      throw new BuiltinError('refused on purpose');
    },
  },
  {
    name: 'arbiter_test.clock',
    args: ['string', 'array<any>'],
    result: 'string',
    impl: (_args, ctx) => `now=${ctx.nowNs} strict=${ctx.strict}`,
  },
);

async function assembleWat(text: string): Promise<Buffer> {
  const module = (await wabt()).parseWat('test.wat', text);
  try {
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

async function rejectsWithCode(run: () => unknown, code: string): Promise<RegoError> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof RegoError, `expected a RegoError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

for (const abiMinor of [1, 2] as const) {
  describe(`Wasm policy through the SDK (ABI 1.${abiMinor}: ${abiMinor === 2 ? 'opa_eval' : 'eval context'} path)`, () => {
    let policy: WasmPolicy;
    before(async () => {
      policy = await loadWasmModule(await buildFixtureWasm({ abiMinor }), FIXTURE_DATA);
    });
    after(() => policy.close());

    it('lists the module entrypoints and the built-ins it imports', () => {
      assert.deepEqual(policy.entrypoints, [...FIXTURE_ENTRYPOINTS].sort());
      assert.deepEqual(policy.builtins, ['sprintf']);
    });

    it('decides on input against the loaded data', () => {
      assert.equal(policy.evaluate('example/allow', { user: 'alice' }), true);
      assert.equal(policy.evaluate('example/allow', { user: 'bob', extra: [1, { a: null }] }), true);
      assert.equal(policy.evaluate('example/allow', { user: 'carol' }), false);
      assert.equal(policy.evaluate('example/allow', {}), false);
      // A Rego value (as the engine holds the input) is sent as its JSON.
      assert.equal(policy.evaluate('example/allow', fromJSON({ user: 'alice' })), true);
    });

    it('passes undefined and falsy inputs as they are', () => {
      assert.equal(policy.evaluate('example/allow', undefined), false);
      assert.equal(policy.evaluate('example/greeting', undefined), undefined);
      for (const input of [false, 0, '', null]) assert.equal(policy.evaluate('example/allow', input), false);
    });

    it('selects the entrypoint by name', () => {
      const input = { user: 'alice' };
      assert.equal(policy.evaluate('example/allow', input), true);
      assert.equal(policy.evaluate('example/level', input), 'admin');
      assert.equal(policy.evaluate('example/greeting', input), 'hello, alice');
      assert.equal(policy.evaluate('example/level', { user: 'carol', guest: true }), 'guest');
      assert.equal(policy.evaluate('example/level', { user: 'carol' }), undefined);
    });

    it("answers host built-in calls from Arbiter's registry, not the SDK's own table", () => {
      const user = ['x', 1, { y: true }];
      const expected = toJSON(lookupBuiltin('sprintf')!.impl(['hello, %s', [fromJSON(user)]], ctx()) as string);
      assert.equal(policy.evaluate('example/greeting', { user }), expected);
      // sprintf-js, which the SDK would use, joins arrays with commas.
      assert.notEqual(expected, 'hello, x,1,[object Object]');
      assert.equal(policy.evaluate('example/greeting', { user: 'zoë 🦊' }), 'hello, zoë 🦊');
    });

    it('fails a conflicting decision with the runtime error and its location, then keeps working', async () => {
      const err = await rejectsWithCode(() => policy.evaluate('example/level', { user: 'alice', guest: true }), 'eval_conflict_error');
      assert.equal(err.rawMessage, 'var assignment conflict');
      assert.deepEqual(err.location, { file: 'policy.rego', row: 13, col: 1 });
      assert.equal(policy.evaluate('example/level', { user: 'bob' }), 'admin');
    });

    it('rejects an entrypoint the module does not have', async () => {
      const err = await rejectsWithCode(() => policy.evaluate('example/deny', {}), 'eval_internal_error');
      assert.match(err.message, /no entrypoint "example\/deny"/);
    });

    it('grows memory for inputs larger than the initial heap', () => {
      const big = 'x'.repeat(2_000_000);
      assert.equal(policy.evaluate('example/allow', { user: 'alice', padding: big }), true);
      assert.equal(policy.evaluate('example/greeting', { user: big.slice(0, 100_000) }), `hello, ${big.slice(0, 100_000)}`);
      assert.equal(policy.evaluate('example/allow', { user: 'carol' }), false);
    });
  });
}

describe("The fixture under the SDK's own loadPolicy", () => {
  it('runs, but the SDK answers sprintf from its own table before any custom built-in', async () => {
    let customCalls = 0;
    const sdk = await loadPolicy(await buildFixtureWasm(), undefined, {
      sprintf: () => {
        customCalls++;
        return 'custom';
      },
    });
    sdk.setData(FIXTURE_DATA);
    assert.deepEqual(sdk.evaluate({ user: 'alice' }, 'example/allow'), [{ result: true }]);
    assert.deepEqual(sdk.evaluate({ user: 'x' }, 'example/greeting'), [{ result: 'hello, x' }]);
    // sprintf-js, not the custom function nor Go's formatting: why Arbiter instantiates the module itself.
    assert.deepEqual(sdk.evaluate({ user: ['x', 1] }, 'example/greeting'), [{ result: 'hello, x,1' }]);
    assert.equal(customCalls, 0);
  });
});

describe('Wasm data', () => {
  it('evaluates against the data it was loaded with', async () => {
    const bytes = await buildFixtureWasm();
    const carolAdmin = await loadWasmModule(bytes, { acl: { admins: ['carol'] } });
    const noData = await loadWasmModule(bytes, undefined);
    const bigNumbers = await loadWasmModule(bytes, { acl: { admins: [12345678901234567890n, 'dave'] } });
    try {
      assert.equal(carolAdmin.evaluate('example/allow', { user: 'carol' }), true);
      assert.equal(carolAdmin.evaluate('example/allow', { user: 'alice' }), false);
      assert.equal(noData.evaluate('example/allow', { user: 'alice' }), false);
      assert.equal(bigNumbers.evaluate('example/allow', { user: 'dave' }), true);
    } finally {
      await Promise.all([carolAdmin.close(), noData.close(), bigNumbers.close()]);
    }
  });
});

describe('Wasm memory limit', () => {
  it('fails an evaluation that needs more memory than allowed, then serves smaller ones', async () => {
    const policy = await loadWasmModule(await buildFixtureWasm(), FIXTURE_DATA, { memoryPages: { initial: 2, maximum: 8 } });
    try {
      const err = await rejectsWithCode(() => policy.evaluate('example/allow', { user: 'x'.repeat(1_000_000) }), 'eval_internal_error');
      assert.match(err.message, /memory/i);
      assert.equal(policy.evaluate('example/allow', { user: 'alice' }), true);
    } finally {
      await policy.close();
    }
  });
});

describe('Wasm host built-in errors and context', () => {
  it('makes a failing built-in undefined, or an eval_builtin_error with strict-builtin-errors', async () => {
    const policy = await loadWasmModule(await buildFixtureWasm({ builtins: { 'arbiter_test.fails': 0 } }), FIXTURE_DATA);
    try {
      assert.equal(policy.evaluate('example/greeting', { user: 'alice' }), undefined);
      const err = await rejectsWithCode(
        () => policy.evaluate('example/greeting', { user: 'alice' }, { strictBuiltinErrors: true }),
        'eval_builtin_error',
      );
      assert.equal(err.rawMessage, 'arbiter_test.fails: refused on purpose');
      const isolated = await rejectsWithCode(
        () => policy.evaluateIsolated('example/greeting', { user: 'alice' }, { strictBuiltinErrors: true }),
        'eval_builtin_error',
      );
      assert.equal(isolated.rawMessage, err.rawMessage);
    } finally {
      await policy.close();
    }
  });

  it('cancels an in-thread evaluation past its deadline at its next host built-in call', async () => {
    const policy = await loadWasmModule(await buildFixtureWasm(), FIXTURE_DATA);
    try {
      await rejectsWithCode(() => policy.evaluate('example/greeting', { user: 'a' }, { timeoutMs: 0 }), 'eval_cancel_error');
      assert.equal(policy.evaluate('example/greeting', { user: 'a' }, { timeoutMs: 1000 }), 'hello, a');
    } finally {
      await policy.close();
    }
  });

  it('gives built-ins the evaluation context: fixed clock and strictness', async () => {
    const policy = await loadWasmModule(await buildFixtureWasm({ builtins: { 'arbiter_test.clock': 0 } }), FIXTURE_DATA);
    try {
      const at = 1_700_000_000_123_456_789n;
      assert.equal(policy.evaluate('example/greeting', { user: 'a' }, { nowNs: at }), `now=${at} strict=false`);
      assert.equal(
        await policy.evaluateIsolated('example/greeting', { user: 'a' }, { nowNs: at, strictBuiltinErrors: true }),
        `now=${at} strict=true`,
      );
      const before = BigInt(Date.now()) * 1_000_000n;
      const now = BigInt(/now=(\d+)/.exec(policy.evaluate('example/greeting', { user: 'a' }) as string)![1]);
      assert.ok(now >= before && now <= BigInt(Date.now()) * 1_000_000n, `clock ${now} outside the call`);
    } finally {
      await policy.close();
    }
  });
});

describe('Wasm regex built-ins (re2) through the host', () => {
  it('answers regex.match in thread and from the worker, whose calls the main thread serves', async () => {
    const bytes = await buildFixtureWasm({ builtins: { 'regex.match': 0 }, firstArg: JSON.stringify('^a[a-z]+$'), wrapUser: false });
    const policy = await loadWasmModule(bytes, FIXTURE_DATA);
    try {
      assert.equal(policy.evaluate('example/greeting', { user: 'alice' }), true);
      assert.equal(policy.evaluate('example/greeting', { user: 'bob' }), false);
      assert.equal(await policy.evaluateIsolated('example/greeting', { user: 'anna' }), true);
      assert.equal(await policy.evaluateIsolated('example/greeting', { user: 'Anna' }), false);
      const err = await rejectsWithCode(
        () => policy.evaluateIsolated('example/greeting', { user: 42 }, { strictBuiltinErrors: true }),
        'eval_type_error',
      );
      assert.match(err.rawMessage, /^regex\.match: operand 2 must be string but got number/);
    } finally {
      await policy.close();
    }
  });
});

describe('Wasm isolated evaluation (worker thread)', () => {
  let policy: WasmPolicy;
  before(async () => {
    policy = await loadWasmModule(await buildFixtureWasm(), FIXTURE_DATA);
  });
  after(() => policy.close());

  it('answers as the in-thread evaluation does', async () => {
    for (const [entrypoint, input] of [
      ['example/allow', { user: 'alice' }],
      ['example/allow', { user: 'carol' }],
      ['example/greeting', { user: ['x', 2] }],
      ['example/level', { user: 'carol', guest: true }],
      ['example/level', {}],
    ] as const) {
      assert.deepEqual(await policy.evaluateIsolated(entrypoint, input), policy.evaluate(entrypoint, input), entrypoint);
    }
    await rejectsWithCode(() => policy.evaluateIsolated('example/level', { user: 'alice', guest: true }), 'eval_conflict_error');
    await rejectsWithCode(() => policy.evaluateIsolated('example/nope', {}), 'eval_internal_error');
  });

  it('stops a runaway evaluation at its deadline without blocking the event loop', async () => {
    await policy.evaluateIsolated('example/allow', {});
    const firstWorker = policy.workerThreadId;
    assert.equal(typeof firstWorker, 'number');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = performance.now();
    const queued = policy.evaluateIsolated('example/allow', { user: 'bob' }, { timeoutMs: 5000 });
    try {
      await rejectsWithCode(() => policy.evaluateIsolated('example/spin', {}, { timeoutMs: 300 }), 'eval_cancel_error');
    } finally {
      clearInterval(ticker);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 3000, `cancelled after ${elapsed} ms`);
    assert.ok(ticks >= 5, `event loop ran ${ticks} timer ticks during the evaluation`);
    // Requests behind the cancelled one are served by a fresh worker.
    assert.equal(await queued, true);
    assert.notEqual(policy.workerThreadId, firstWorker);
    assert.equal(await policy.evaluateIsolated('example/allow', { user: 'carol' }), false);
  });

  it('drops a request whose deadline passes while it waits behind a slow one, and serves the others', async () => {
    const slow = policy.evaluateIsolated('example/spin', {}, { timeoutMs: 400 });
    const waiting = policy.evaluateIsolated('example/allow', { user: 'alice' }, { timeoutMs: 100 });
    const patient = policy.evaluateIsolated('example/greeting', { user: 'pat' }, { timeoutMs: 5000 });
    await rejectsWithCode(() => waiting, 'eval_cancel_error');
    await rejectsWithCode(() => slow, 'eval_cancel_error');
    assert.equal(await patient, 'hello, pat');
    assert.equal(await policy.evaluateIsolated('example/allow', { user: 'alice' }, { timeoutMs: 5000 }), true);
  });

  it('keeps every answer with its request when many are in flight', async () => {
    const requests = Array.from({ length: 100 }, (_, i) => {
      const user = ['alice', 'carol', `user-${i}`][i % 3];
      const entrypoint = ['example/allow', 'example/greeting', 'example/level'][i % 4 === 3 ? 2 : i % 2];
      return { entrypoint, input: { user, guest: i % 5 === 0 && user !== 'alice' } };
    });
    const answers = await Promise.all(requests.map((r) => policy.evaluateIsolated(r.entrypoint, r.input, { timeoutMs: 10_000 })));
    assert.deepEqual(answers, requests.map((r) => policy.evaluate(r.entrypoint, r.input)));
  });

  it('stops an idle worker and starts another on demand', async () => {
    const own = await loadWasmModule(await buildFixtureWasm(), FIXTURE_DATA, { workerIdleMs: 50 });
    try {
      assert.equal(own.workerThreadId, undefined);
      assert.equal(await own.evaluateIsolated('example/allow', { user: 'alice' }), true);
      const first = own.workerThreadId;
      assert.equal(typeof first, 'number');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(own.workerThreadId, undefined);
      assert.equal(await own.evaluateIsolated('example/allow', { user: 'carol' }), false);
      assert.notEqual(own.workerThreadId, first);
    } finally {
      await own.close();
    }
  });

  it('rejects pending evaluations on close', async () => {
    const own = await loadWasmModule(await buildFixtureWasm(), FIXTURE_DATA);
    const running = rejectsWithCode(() => own.evaluateIsolated('example/spin', {}), 'eval_internal_error');
    await own.close();
    await running;
    await rejectsWithCode(() => own.evaluateIsolated('example/allow', {}), 'eval_internal_error');
  });
});

describe('validateWasm (upload validation)', () => {
  it('accepts the fixture with the entrypoints its manifest declares', async () => {
    assert.deepEqual(validateWasm(await buildFixtureWasm(), ['example/allow', '/example/greeting/']), []);
  });

  it('reports declared entrypoints the module lacks, with what it has', async () => {
    const problems = validateWasm(await buildFixtureWasm(), ['example/allow', 'example/deny'], 'authz/policy.wasm');
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, 'authz/policy.wasm');
    assert.match(problems[0].message, /entrypoint "example\/deny", which the module does not export \(it exports: example\/allow, /);
  });

  it('reports each built-in Arbiter cannot provide', async () => {
    const bytes = await buildFixtureWasm({ builtins: { 'acme.lookup': 0, sprintf: 1, 'acme.score': 2 } });
    const messages = validateWasm(bytes, FIXTURE_ENTRYPOINTS).map((p) => p.message);
    assert.deepEqual(messages, [
      'needs built-in function "acme.lookup", which Arbiter does not provide',
      'needs built-in function "acme.score", which Arbiter does not provide',
    ]);
    await assert.rejects(loadWasmModule(bytes, {}), (e) => e instanceof WasmModuleError && /"acme.lookup", "acme.score"/.test(e.message));
  });

  it('reports a module that does not instantiate', async () => {
    const wasi = await buildFixtureWasm({
      extraImports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
    });
    assert.match(validateWasm(wasi, [])[0].message, /^does not instantiate: imports function wasi_snapshot_preview1\.fd_write/);
    // A start function that traps.
    const trapping = await assembleWat('(module (func $boom unreachable) (start $boom))');
    assert.match(validateWasm(trapping, [])[0].message, /^does not instantiate: unreachable/);
  });

  it('reports bytes that are not Wasm, and modules outside the OPA ABI', async () => {
    assert.match(validateWasm(Buffer.from('not wasm'), [])[0].message, /^not a valid WebAssembly module/);
    assert.match(validateWasm(await assembleWat('(module)'), [])[0].message, /ABI version \(not exported\) is not supported/);
    const noEval = await assembleWat(
      '(module (import "env" "memory" (memory 1)) (global (export "opa_wasm_abi_version") i32 (i32.const 1)) (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2)))',
    );
    assert.match(validateWasm(noEval, [])[0].message, /does not export builtins, .*opa_eval \(required by OPA's Wasm ABI 1\.2\)/);
    await assert.rejects(loadWasmModule(Buffer.from([0, 97, 115, 109]), {}), WasmModuleError);
  });
});

describe('Wasm bundle', () => {
  it('reads the fixture bundle and runs its declared wasm entrypoints with the bundle data', async () => {
    const archive = await writeBundle(fixtureBundleFiles(await buildFixtureWasm(), ['example/allow', 'example/greeting']));
    const bundle = await readBundle(archive);
    const declared = (bundle.manifest.wasm ?? []).map((w) => w.entrypoint);
    assert.deepEqual(declared, ['example/allow', 'example/greeting']);
    assert.equal(bundle.wasm.length, 1);
    assert.deepEqual(validateWasm(bundle.wasm[0].bytes, declared, bundle.wasm[0].path), []);
    const policy = await loadWasmModule(bundle.wasm[0].bytes, bundle.data);
    try {
      assert.equal(policy.evaluate('example/allow', { user: 'bob' }), true);
      assert.equal(policy.evaluate('example/greeting', { user: 'bob' }), 'hello, bob');
    } finally {
      await policy.close();
    }
  });
});

function ctx() {
  return { nowNs: 0n, strict: false, cache: new Map(), env: {}, print: () => {}, checkBudget: () => {} };
}
