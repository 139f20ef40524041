// Comparison operators: ==, !=, <, <=, >, >= over Rego's total order of values.

import { compare, equals } from '../eval/values';
import { register } from './registry';

register(
  { name: 'equal', infix: '==', args: ['any', 'any'], result: 'boolean', impl: ([a, b]) => equals(a, b) },
  { name: 'neq', infix: '!=', args: ['any', 'any'], result: 'boolean', impl: ([a, b]) => !equals(a, b) },
  { name: 'lt', infix: '<', args: ['any', 'any'], result: 'boolean', impl: ([a, b]) => compare(a, b) < 0 },
  { name: 'lte', infix: '<=', args: ['any', 'any'], result: 'boolean', impl: ([a, b]) => compare(a, b) <= 0 },
  { name: 'gt', infix: '>', args: ['any', 'any'], result: 'boolean', impl: ([a, b]) => compare(a, b) > 0 },
  { name: 'gte', infix: '>=', args: ['any', 'any'], result: 'boolean', impl: ([a, b]) => compare(a, b) >= 0 },
);
