// JUnit XML as CI servers read it (the Ant/Jenkins schema): one <testsuite> per file and namespace,
// one <testcase> per finding or success. Failures are <failure>; warnings are <failure> only with
// --fail-on-warn (otherwise passing cases that carry the warning in <system-out>); exceptions are
// <skipped>.

import { totals, type CheckResult, type OutputContext } from './index';

export function renderJUnit(results: CheckResult[], ctx: OutputContext): string {
  const all = totals(results);
  const failing = (r: CheckResult) => r.failures.length + (ctx.failOnWarn ? r.warnings.length : 0);
  const suites = results.map((r) => {
    const name = `${r.filename} - ${r.namespace}`;
    const tests = r.successes + r.failures.length + r.warnings.length + r.exceptions.length;
    const cases: string[] = [];
    const testcase = (title: string, inner = '') =>
      `    <testcase classname="${attr(`arbiter.${r.namespace}`)}" name="${attr(`${r.filename} - ${title}`)}" time="0">${inner}</testcase>`;
    for (const f of r.failures) cases.push(testcase(f.msg, `<failure message="${attr(f.msg)}" type="${attr(f.rule)}">${text(f.msg)}</failure>`));
    for (const w of r.warnings) {
      cases.push(
        ctx.failOnWarn
          ? testcase(w.msg, `<failure message="${attr(w.msg)}" type="${attr(w.rule)}">${text(w.msg)}</failure>`)
          : testcase(w.msg, `<system-out>${text(`WARN: ${w.msg}`)}</system-out>`),
      );
    }
    for (const e of r.exceptions) cases.push(testcase(e.msg, `<skipped message="${attr(`exception: ${e.msg}`)}"></skipped>`));
    for (let i = 0; i < r.successes; i++) cases.push(testcase(`SUCCESS ${i + 1}`));
    return [
      `  <testsuite name="${attr(name)}" tests="${tests}" failures="${failing(r)}" errors="0" skipped="${r.exceptions.length}" time="0">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const failures = all.failures + (ctx.failOnWarn ? all.warnings : 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="arbiter test" tests="${all.tests}" failures="${failures}" errors="0" skipped="${all.exceptions}" time="0">`,
    ...suites,
    '</testsuites>',
  ].join('\n') + '\n';
}

// XML 1.0 cannot carry most control characters at all, even escaped: they are dropped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
