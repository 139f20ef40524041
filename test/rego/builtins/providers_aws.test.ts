import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import '../../../src/rego/builtins/providers_aws';
import { BuiltinTypeError, type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

const sign = (req: unknown, config: unknown, ns: Value = 1451311705000000000n): any =>
  toJSON(lookupBuiltin('providers.aws.sign_req')!.impl([fromJSON(req), fromJSON(config), ns], {} as BuiltinContext) as Value);
const config = {
  aws_access_key: 'MYAWSACCESSKEYGOESHERE',
  aws_secret_access_key: 'MYAWSSECRETACCESSKEYGOESHERE',
  aws_service: 's3',
  aws_region: 'us-east-1',
};
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

test('signs with SigV4 as OPA does (known signature)', () => {
  const out = sign({ method: 'get', url: 'http://example.com' }, config);
  assert.deepEqual(out, {
    method: 'get',
    url: 'http://example.com',
    headers: {
      Authorization:
        'AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3',
      host: 'example.com',
      'x-amz-content-sha256': sha(''),
      'x-amz-date': '20151228T140825Z',
    },
  });
});

test('the signature covers request headers, body, query and session token', () => {
  const base = sign({ method: 'get', url: 'https://example.com/a?x=1' }, config).headers.Authorization;
  const withHeader = sign({ method: 'get', url: 'https://example.com/a?x=1', headers: { Foo: 'bar', 'User-Agent': 'x' } }, config);
  assert.match(withHeader.headers.Authorization, /SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,/);
  assert.equal(withHeader.headers.Foo, 'bar');
  assert.notEqual(withHeader.headers.Authorization, base);
  const withBody = sign({ method: 'get', url: 'https://example.com/a?x=1', body: { a: [1, 2] } }, config);
  assert.equal(withBody.headers['x-amz-content-sha256'], sha('{"a":[1,2]}'));
  const raw = sign({ method: 'get', url: 'https://example.com/a?x=1', body: { a: 1 }, raw_body: 'text' }, config);
  assert.equal(raw.headers['x-amz-content-sha256'], sha('text'), 'raw_body wins over body');
  const unsigned = sign({ method: 'get', url: 'https://example.com' }, { ...config, disable_payload_signing: true });
  assert.equal(unsigned.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
  const token = sign({ method: 'get', url: 'https://example.com' }, { ...config, aws_session_token: 'T' });
  assert.equal(token.headers['x-amz-security-token'], 'T');
  assert.match(token.headers.Authorization, /x-amz-date;x-amz-security-token,/);
  const other = sign({ method: 'get', url: 'https://example.com' }, { ...config, aws_service: 'execute-api' });
  assert.equal(other.headers['x-amz-content-sha256'], undefined, 'only s3 and glacier get the payload hash header');
});

test('recomputing the signature from the documented steps gives the same value', () => {
  const out = sign({ method: 'POST', url: 'https://svc.example.com/p/q?b=2', raw_body: 'hi' }, { ...config, aws_service: 'svc' });
  const date = '20151228';
  const canonical = `POST\n/p/q\nb=2\nhost:svc.example.com\nx-amz-date:${date}T140825Z\n\nhost;x-amz-date\n${sha('hi')}`;
  const scope = `${date}/us-east-1/svc/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${date}T140825Z\n${scope}\n${sha(canonical)}`;
  let key: Buffer | string = 'AWS4' + config.aws_secret_access_key;
  for (const part of [date, 'us-east-1', 'svc', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  assert.ok(out.headers.Authorization.endsWith(`Signature=${signature}`));
});

test('bad arguments are type errors naming every offending parameter', () => {
  const typeError = (fn: () => unknown, message: string) =>
    assert.throws(fn, (e: unknown) => e instanceof BuiltinTypeError && e.message === message);
  typeError(() => sign({}, config), 'operand 1 missing required request parameters(s): {"method", "url"}');
  typeError(() => sign({ method: [], url: {} }, config), 'operand 1 invalid values for required request parameters(s): {"method", "url"}');
  typeError(
    () => sign({ method: 'get', url: 'x' }, { example: 'x' }),
    'operand 2 missing required AWS config parameters(s): {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"}',
  );
  typeError(() => sign({ method: 'get', url: 'x' }, config, -1e9), 'operand 3 could not convert time_ns value into a unix timestamp');
  typeError(
    () => sign({ method: 'get', url: 'x' }, { ...config, disable_payload_signing: 'false' }),
    "operand 2 invalid value for 'disable_payload_signing' in AWS config",
  );
});
