// Loads every built-in family so that each registers its functions in the one table
// (registry.ts). Adding a family is one file plus one line here.
export { lookupBuiltin, allBuiltins } from './registry';
import './graphql';
import './http';
import './strings';
import './types';
import './casts';
import './jwt';
import './regex';
import './glob';
