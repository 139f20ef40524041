// Reading manifests for `arbiter test`: YAML streams cut at document markers, with the line each
// document starts on, Kubernetes' reading of scalars (timestamps stay strings, merge keys work),
// and errors that name the file and line.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, parseYAML } from '../../src/cli/test-inputs';

const STREAM = `# leading comment
%YAML 1.2
---
a: 1
date: 2024-01-01
base: &b {x: 1}
merged:
  <<: *b
  y: 2
---

# a document with only a comment
---
--- {c: 3}
...
---
text: |
  line
   --- not a marker when indented
on: yes
`;

describe('arbiter test inputs', () => {
  it('yields each non-empty document with the line its content starts on', () => {
    assert.deepEqual(parseYAML('f.yaml', STREAM), [
      { file: 'f.yaml', line: 4, content: { a: 1, date: '2024-01-01', base: { x: 1 }, merged: { x: 1, y: 2 } } },
      { file: 'f.yaml', line: 14, content: { c: 3 } },
      { file: 'f.yaml', line: 17, content: { text: 'line\n --- not a marker when indented\n', on: 'yes' } },
    ]);
  });

  it('reads a single document without markers, and nothing from an empty file', () => {
    assert.deepEqual(parseYAML('g.yaml', 'kind: Service\r\nmetadata:\r\n  name: web\r\n'), [{ file: 'g.yaml', line: 1, content: { kind: 'Service', metadata: { name: 'web' } } }]);
    assert.deepEqual(parseYAML('e.yaml', '\n# nothing\n---\n'), []);
  });

  it('names the file and the line of a syntax error in any document', () => {
    assert.throws(
      () => parseYAML('bad.yaml', 'a: 1\n---\nb: 2\n---\nc: [1,\nd: 4\n'),
      (e: unknown) => e instanceof InputError && /^bad\.yaml:[67]: invalid YAML: /.test(e.message),
    );
    assert.throws(() => parseYAML('dup.yaml', 'a: 1\na: 2\n'), /: dup\.yaml:2: invalid YAML: duplicated mapping key/);
  });
});
