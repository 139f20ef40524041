// http.send: Arbiter is a decision service and makes no network calls on a tenant's behalf, so the
// request is checked the way OPA checks it (policies get the same type errors) and then refused.
// Tests can still replace http.send with `with http.send as mock`.

import { RObject, type Value, stringifyJSON } from '../eval/values';
import { asObject } from './operands';
import { BuiltinError, BuiltinTypeError, register } from './registry';

const REQUIRED_KEYS = ['method', 'url'];
const ALLOWED_KEYS = new Set([
  ...REQUIRED_KEYS,
  'body',
  'cache',
  'cache_ignored_headers',
  'caching_mode',
  'enable_redirect',
  'force_cache',
  'force_cache_duration_seconds',
  'force_json_decode',
  'force_yaml_decode',
  'headers',
  'max_retry_attempts',
  'raise_error',
  'raw_body',
  'timeout',
  'tls_ca_cert',
  'tls_ca_cert_env_variable',
  'tls_ca_cert_file',
  'tls_client_cert',
  'tls_client_cert_env_variable',
  'tls_client_cert_file',
  'tls_client_key',
  'tls_client_key_env_variable',
  'tls_client_key_file',
  'tls_insecure_skip_verify',
  'tls_server_name',
  'tls_use_system_certs',
]);

/** A set of key names printed as OPA prints a Rego set of strings: {"a", "b"}. */
const keySet = (keys: string[]): string => '{' + keys.sort().map((k) => JSON.stringify(k)).join(', ') + '}';

export const NETWORK_DISABLED = 'outbound network calls are disabled in Arbiter';

register({
  name: 'http.send',
  args: ['object<string, any>'],
  result: 'object<any, any>',
  nondeterministic: true,
  impl: ([req]: Value[]) => {
    const obj = asObject(req, 1);
    const invalid: string[] = [];
    for (const [k] of obj.entries()) {
      if (typeof k !== 'string' || !ALLOWED_KEYS.has(k)) invalid.push(typeof k === 'string' ? k : stringifyJSON(k));
    }
    if (invalid.length) throw new BuiltinTypeError(`invalid request parameters(s): ${keySet(invalid)}`);
    const missing = REQUIRED_KEYS.filter((k) => !obj.has(k));
    if (missing.length) throw new BuiltinTypeError(`missing required request parameters(s): ${keySet(missing)}`);
    // With raise_error: false OPA reports transport failures in the response instead of failing.
    if (obj.getStr('raise_error') === false) {
      return RObject.fromEntries([
        ['status_code', 0],
        ['error', RObject.fromEntries([['code', 'eval_http_send_network_error'], ['message', `http.send: ${NETWORK_DISABLED}`]])],
      ]);
    }
    throw new BuiltinError(NETWORK_DISABLED);
  },
});
