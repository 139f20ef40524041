#!/usr/bin/env node
// The `arbiter` command. Runs the compiled CLI (npm run build) when it exists, otherwise the
// TypeScript sources through tsx (a development install).
const { existsSync } = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (existsSync(built)) {
  require(built).run(process.argv);
} else {
  require('tsx/cjs');
  require('../src/cli/main.ts').run(process.argv);
}
