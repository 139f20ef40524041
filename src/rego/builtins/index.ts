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
import './aggregates';
import './numbers';
import './bits';
import './arrays';
import './objects';
import './sets';
import './jsonpath';
import './graph';
import './net';
import './jsonschema';
import './glob';
import './time';
import './encoding';
import './comparison';
import './arithmetic';
import './internal';
import './units';
import './semver';
import './uuid';
