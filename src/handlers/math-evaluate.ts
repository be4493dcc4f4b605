import { all, type BigNumber, type ConfigOptions, create, type MathJsInstance, type MathNode } from 'mathjs';
import { PermanentError } from '../core/errors.js';
import { NotArithmeticError } from './math-error.js';

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

/** Significant digits of the exact (decimal) evaluation: integers up to this many digits come out
 * exact, beyond 2^53 too. */
export const EXACT_DIGITS = 64;
/** Largest integer exponent the exact evaluation takes: any larger power of a base other than
 * 0, 1 or -1 is beyond the largest finite double anyway (and is computed in doubles instead). */
const MAX_EXACT_EXPONENT = 1100;
/** Largest factorial the exact evaluation takes: 171! is beyond the largest finite double. */
const MAX_EXACT_FACTORIAL = 170;

function disabled(name: string): () => never {
  return () => {
    throw new PermanentError(`function ${name} is disabled`);
  };
}

// The mathjs docs' security recipe (https://mathjs.org/docs/expressions/security.html).
const DISABLED_FUNCTIONS = [
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
];

/** A mathjs instance whose parse/compile/extend functions throw, and its parser, captured before
 * the override: this module keeps the parser, expressions do not get it. */
function limitedInstance(config: ConfigOptions): { math: MathJsInstance; parse: MathJsInstance['parse'] } {
  // mathjs types `all` as possibly undefined (for tree-shaken builds); the full bundle has it.
  if (!all) throw new Error('mathjs: the "all" factory set is missing');
  const math = create(all, config);
  const parse = math.parse;
  math.import(Object.fromEntries(DISABLED_FUNCTIONS.map((name) => [name, disabled(name)])), { override: true });
  return { math, parse };
}

/** Doubles: functions (sqrt, log, sin, …), constants and fractional powers. */
const doubles = limitedInstance({ number: 'number' });
/** Decimals of EXACT_DIGITS digits (decimal.js): plain arithmetic, so that 9007199254740993 - 1 is
 * 9007199254740992 and 0.1 + 0.2 is 0.3. Its functions are slow at this precision (milliseconds
 * each), so expressions that need them go to the doubles instead. */
const decimals = limitedInstance({ number: 'BigNumber', precision: EXACT_DIGITS });

/** The limited mathjs instances (exported so that tests can prove the overrides hold). */
export const limitedMath = doubles.math;
export const limitedExactMath = decimals.math;

/**
 * Parses `expression`, checks every node against the whitelist and evaluates it. `shownAs` is how
 * the user wrote it, for messages. Returns a finite real number, or a bigint for an exact integer
 * beyond Number.MAX_SAFE_INTEGER. Throws NotArithmeticError for what it cannot read and
 * PermanentError for arithmetic without a finite real result (retrying cannot help either).
 */
export function evaluateArithmetic(expression: string, shownAs = expression): number | bigint {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new PermanentError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let tree: MathNode;
  try {
    tree = decimals.parse(expression);
  } catch (error) {
    // mathjs's own message ("False part of conditional expression expected") helps no one here.
    throw new NotArithmeticError(`I could not read "${shownAs}" as a calculation.`, { cause: error });
  }
  const exact = checkTree(tree);
  const result = compute(exact ? tree : doubles.parse(expression), shownAs);
  if (limitedExactMath.isBigNumber(result)) return fromDecimal(result, shownAs);
  if (typeof result !== 'number') throw new PermanentError(`"${shownAs}" does not have a real-number result`);
  if (!Number.isFinite(result)) throw new PermanentError(`"${shownAs}" has no finite result (${String(result)})`);
  return result;
}

function compute(tree: MathNode, shownAs: string): unknown {
  try {
    return tree.evaluate();
  } catch (error) {
    throw new PermanentError(`could not compute "${shownAs}": ${(error as Error).message}`, { cause: error });
  }
}

/** A decimal result as a double, or as a bigint when it is an integer too large for a double to
 * hold exactly and small enough for the decimal to hold exactly. */
function fromDecimal(result: BigNumber, shownAs: string): number | bigint {
  const value = result.toNumber();
  if (!Number.isFinite(value)) throw new PermanentError(`"${shownAs}" has no finite result (${String(value)})`);
  if (result.isInteger() && !Number.isSafeInteger(value) && result.e < EXACT_DIGITS) return BigInt(result.toFixed());
  return value;
}

/** Functions the exact (decimal) evaluation takes: cheap at any precision. */
const EXACT_FUNCTIONS = new Set(['abs', 'round', 'floor', 'ceil', 'min', 'max', 'mod', 'pow', 'factorial']);

/**
 * The whitelist walk. Throws NotArithmeticError naming the first construct that is not allowed.
 * Returns whether the tree is plain arithmetic for the exact evaluation: no named constants, no
 * functions but EXACT_FUNCTIONS, powers only to an integer written out (|n| <= MAX_EXACT_EXPONENT)
 * and factorials only of an integer written out (<= MAX_EXACT_FACTORIAL), so that its run time
 * stays bounded (a decimal power to a fraction or a factorial of 10^9 is not).
 */
function checkTree(root: MathNode): boolean {
  const math = limitedExactMath;
  let count = 0;
  let exact = true;
  const visit = (node: MathNode): void => {
    count += 1;
    if (count > MAX_NODES) throw new PermanentError(`expression is too large (more than ${MAX_NODES} parts)`);
    if (math.isConstantNode(node)) {
      if (typeof node.value !== 'number' && !math.isBigNumber(node.value)) {
        throw new NotArithmeticError(`only numbers are allowed, not ${JSON.stringify(node.value)}`);
      }
      return;
    }
    if (math.isParenthesisNode(node)) {
      visit(node.content);
      return;
    }
    if (math.isSymbolNode(node)) {
      if (!ALLOWED_SYMBOLS.has(node.name)) throw new NotArithmeticError(`I do not know what "${node.name}" means here.`);
      exact = false;
      return;
    }
    if (math.isOperatorNode(node)) {
      if (!ALLOWED_OPERATORS.has(node.fn)) throw new NotArithmeticError(`operator "${node.op}" is not allowed`);
      if (!exactOperands(node.fn, node.args)) exact = false;
      for (const arg of node.args) visit(arg);
      return;
    }
    if (math.isFunctionNode(node)) {
      // `fn` is a SymbolNode for a plain call; anything else (`f(1)(2)`, `a.b(1)`) is refused.
      const fn: MathNode = node.fn;
      const name = math.isSymbolNode(fn) ? fn.name : undefined;
      if (name === undefined || !ALLOWED_FUNCTIONS.has(name)) {
        throw new NotArithmeticError(
          `function ${name ?? fn.toString()} is not allowed (allowed: ${[...ALLOWED_FUNCTIONS].join(', ')})`,
        );
      }
      if (node.args.length > MAX_ARGS) throw new PermanentError(`function ${name} takes at most ${MAX_ARGS} arguments here`);
      if (!EXACT_FUNCTIONS.has(name) || !exactOperands(name, node.args)) exact = false;
      for (const arg of node.args) visit(arg);
      return;
    }
    throw new NotArithmeticError(`${describeNode(node)} is not allowed in a calculation`);
  };
  visit(root);
  return exact;
}

/** Whether `pow` / `factorial` get the written-out integers that keep a decimal evaluation cheap. */
function exactOperands(fn: string, args: MathNode[]): boolean {
  if (fn === 'pow') return writtenInteger(args[1], MAX_EXACT_EXPONENT);
  if (fn === 'factorial') return writtenInteger(args[0], MAX_EXACT_FACTORIAL);
  return true;
}

/** `node` is an integer constant (maybe in parentheses, maybe signed) of magnitude <= `limit`. */
function writtenInteger(node: MathNode | undefined, limit: number): boolean {
  const math = limitedExactMath;
  let inner = node;
  while (inner !== undefined) {
    if (math.isParenthesisNode(inner)) inner = inner.content;
    else if (math.isOperatorNode(inner) && (inner.fn === 'unaryMinus' || inner.fn === 'unaryPlus')) inner = inner.args[0];
    else break;
  }
  if (inner === undefined || !math.isConstantNode(inner)) return false;
  const value: unknown = inner.value;
  const magnitude = math.isBigNumber(value) ? value.abs() : typeof value === 'number' ? Math.abs(value) : undefined;
  return magnitude !== undefined && Number.isInteger(Number(magnitude)) && Number(magnitude) <= limit;
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
