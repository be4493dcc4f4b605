import { all, create, type MathNode } from 'mathjs';
import { PermanentError } from '../core/errors.js';

/**
 * Safe evaluation of an arithmetic expression with a limited mathjs instance.
 *
 * Two layers, because either alone has had holes in the past:
 * 1. The mathjs security recipe: functions that parse, compile or extend at run time are replaced
 *    by ones that throw, so no expression can reach them (even through a future parser feature).
 * 2. A whitelist walk of the parsed tree: only numbers, arithmetic operators, parentheses, a short
 *    list of numeric functions and the constants pi/e pass. Matrix builders (`ones`, `zeros`,
 *    `range`, `[...]`), units, assignments, strings, objects, accessors and comparisons are all
 *    rejected before anything is evaluated, so the work done is bounded by the tree's size.
 */

/** Longest expression accepted; with the node walk this bounds parse and evaluation time.
 * (A question of 500 characters can grow a little in translation: "percent of" -> "/ 100 *".) */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Most nodes an expression tree may have. */
const MAX_NODES = 1000;
/** Most arguments one function call may take (min/max of a list). */
const MAX_ARGS = 20;

/** Operators of the parsed tree that are plain O(1) arithmetic on JS numbers. `factorial` is
 * bounded by mathjs itself (n > 171 is Infinity at once) and then rejected as not finite. */
const ALLOWED_OPERATORS = new Set([
  'add',
  'subtract',
  'multiply',
  'divide',
  'pow',
  'mod',
  'unaryMinus',
  'unaryPlus',
  'factorial',
]);

/** Numeric functions callable from an expression: each is O(1) on numbers. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  'sqrt',
  'cbrt',
  'abs',
  'round',
  'floor',
  'ceil',
  'log',
  'log10',
  'log2',
  'exp',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'min',
  'max',
  'mod',
  'pow',
  'factorial',
]);

/** Named constants an expression may use. */
const ALLOWED_SYMBOLS = new Set(['pi', 'PI', 'e', 'E', 'tau']);

// mathjs types `all` as possibly undefined (for tree-shaken builds); the full bundle has it.
if (!all) throw new Error('mathjs: the "all" factory set is missing');
const math = create(all, { number: 'number' });
// Captured before the override below: this module keeps the parser, expressions do not get it.
const parseExpression = math.parse;

/** The limited mathjs instance (exported so that tests can prove the overrides hold). */
export const limitedMath = math;

function disabled(name: string): () => never {
  return () => {
    throw new PermanentError(`function ${name} is disabled`);
  };
}

// The mathjs docs' security recipe (https://mathjs.org/docs/expressions/security.html).
math.import(
  Object.fromEntries(
    [
      'import',
      'createUnit',
      'evaluate',
      'parse',
      'simplify',
      'simplifyConstant',
      'simplifyCore',
      'derivative',
      'compile',
      'resolve',
      'rationalize',
      'reviver',
      'replacer',
      'parser',
      'chain',
      'leafCount',
      'symbolicEqual',
    ].map((name) => [name, disabled(name)]),
  ),
  { override: true },
);

/**
 * Parses `expression`, checks every node against the whitelist and evaluates it.
 * Returns a finite real number; anything else throws PermanentError (retrying cannot help).
 */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new PermanentError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let tree: MathNode;
  try {
    tree = parseExpression(expression);
  } catch (error) {
    throw new PermanentError(`could not understand "${expression}": ${(error as Error).message}`, { cause: error });
  }
  checkTree(tree);
  let result: unknown;
  try {
    result = tree.evaluate();
  } catch (error) {
    throw new PermanentError(`could not compute "${expression}": ${(error as Error).message}`, { cause: error });
  }
  if (typeof result !== 'number') throw new PermanentError(`"${expression}" does not have a real-number result`);
  if (!Number.isFinite(result)) throw new PermanentError(`"${expression}" has no finite result (${String(result)})`);
  return result;
}

/** The whitelist walk. Throws PermanentError naming the first construct that is not allowed. */
function checkTree(root: MathNode): void {
  let count = 0;
  const visit = (node: MathNode): void => {
    count += 1;
    if (count > MAX_NODES) throw new PermanentError(`expression is too large (more than ${MAX_NODES} parts)`);
    if (math.isConstantNode(node)) {
      if (typeof node.value !== 'number') throw new PermanentError(`only numbers are allowed, not ${JSON.stringify(node.value)}`);
      return;
    }
    if (math.isParenthesisNode(node)) {
      visit(node.content);
      return;
    }
    if (math.isSymbolNode(node)) {
      if (!ALLOWED_SYMBOLS.has(node.name)) throw new PermanentError(`unknown word or symbol "${node.name}"`);
      return;
    }
    if (math.isOperatorNode(node)) {
      if (!ALLOWED_OPERATORS.has(node.fn)) throw new PermanentError(`operator "${node.op}" is not allowed`);
      for (const arg of node.args) visit(arg);
      return;
    }
    if (math.isFunctionNode(node)) {
      // `fn` is a SymbolNode for a plain call; anything else (`f(1)(2)`, `a.b(1)`) is refused.
      const fn: MathNode = node.fn;
      const name = math.isSymbolNode(fn) ? fn.name : undefined;
      if (name === undefined || !ALLOWED_FUNCTIONS.has(name)) {
        throw new PermanentError(
          `function ${name ?? fn.toString()} is not allowed (allowed: ${[...ALLOWED_FUNCTIONS].join(', ')})`,
        );
      }
      if (node.args.length > MAX_ARGS) throw new PermanentError(`function ${name} takes at most ${MAX_ARGS} arguments here`);
      for (const arg of node.args) visit(arg);
      return;
    }
    throw new PermanentError(`${describeNode(node)} is not allowed in a calculation`);
  };
  visit(root);
}

function describeNode(node: MathNode): string {
  switch (node.type) {
    case 'ArrayNode':
      return 'a matrix or list';
    case 'RangeNode':
      return 'a range';
    case 'AssignmentNode':
    case 'FunctionAssignmentNode':
      return 'an assignment';
    case 'AccessorNode':
    case 'IndexNode':
      return 'indexing';
    case 'ObjectNode':
      return 'an object';
    case 'RelationalNode':
      return 'a comparison';
    case 'ConditionalNode':
      return 'a condition';
    case 'BlockNode':
      return 'more than one expression';
    default:
      return node.type;
  }
}
