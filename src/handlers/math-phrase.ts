import { NotArithmeticError } from './math-error.js';

/**
 * Turns a question in words into (1) the arithmetic part as the user wrote it, for the answer's
 * text, and (2) an expression in mathjs syntax. The expression is never trusted: math-evaluate.ts
 * parses it with a limited instance and a whitelist, so this file only has to be helpful, not safe.
 */

/** Words and punctuation around the arithmetic that are not part of it ("What is", "?", "please"). */
const LEADING =
  /^(?:(?:hey|hi|hello|please|pls|so|ok|okay|now|can you|could you|would you|will you|kindly|tell me|quick question)[\s,:]+)*(?:what\s+is|what's|whats|what\s+are|what\s+do\s+you\s+get\s+(?:for|from|if\s+you)|how\s+much\s+(?:is|are|does|do)|(?:calculate|compute|evaluate|solve|work\s+out|figure\s+out|find)\b(?!\s*\())?\s*[:,]?\s*(?:the\s+(?:value|result|answer)\s+(?:of|to)\s+)?/i;
// A "!" right after a digit or ")" is kept: "What is 5!?" asks for a factorial.
const TRAILING = /[\s,]*(?:(?:equals?|equal\s+to|make|come\s+to|is|=)\s*)?(?:please)?(?:[\s?.]|(?<![\d)])!)*$/i;

/** The arithmetic part of a question: "What is 50 divided by 2?" -> "50 divided by 2". */
export function arithmeticPart(question: string): string {
  let text = question.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 5; i += 1) {
    const next = text.replace(LEADING, '').replace(TRAILING, '').trim();
    if (next === text) break;
    text = next;
  }
  return text;
}

type Token =
  | { kind: 'num'; text: string }
  | { kind: 'numword'; word: string }
  | { kind: 'op'; text: string }
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'comma' }
  /** A function written in words ("square root of") that applies to the operand after it. */
  | { kind: 'prefix'; fn: string }
  /** "a half", "two thirds"; `and`: it follows a whole number ("two and a half"). */
  | { kind: 'fraction'; numerator: number; denominator: number; and: boolean }
  | { kind: 'word'; text: string };

type Rule = [RegExp, (match: RegExpExecArray) => Token[]];

const op = (text: string): Token => ({ kind: 'op', text });
const num = (text: string): Token => ({ kind: 'num', text });
const prefix = (fn: string): Token => ({ kind: 'prefix', fn });

const SMALL: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };
const NUMBER_WORDS = [...Object.keys(SMALL), ...Object.keys(SCALES)].join('|');
/** One number word, or a hyphenated pair ("twenty-five"). */
const NUMBER_WORD = new RegExp(`(?:${NUMBER_WORDS})(?:-(?:${NUMBER_WORDS}))?\\b`, 'iy');
/** "a hundred", "a million": the article is the number one. */
const ARTICLE_SCALE = new RegExp(`an?(?=\\s+(?:${Object.keys(SCALES).join('|')})\\b)`, 'iy');

const DENOMINATORS: Record<string, number> = {
  half: 2,
  halve: 2,
  third: 3,
  quarter: 4,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  eighth: 8,
  tenth: 10,
};
/** "a half", "three quarters", "and a half" (after a whole number), "2 thirds". */
const FRACTION = new RegExp(
  `(?:(and)\\s+)?(an?|${Object.keys(SMALL).join('|')}|\\d+)\\s+(${Object.keys(DENOMINATORS).join('|')})s?\\b`,
  'iy',
);

function fraction(m: RegExpExecArray): Token {
  const numerator = /^\d+$/.test(m[2]!) ? Number(m[2]) : (SMALL[m[2]!.toLowerCase()] ?? 1);
  return { kind: 'fraction', numerator, denominator: DENOMINATORS[m[3]!.toLowerCase()]!, and: m[1] !== undefined };
}

/** Tried in order at each position (sticky, case-insensitive): longer phrases first. */
const RULES: Rule[] = [
  [/\s+/y, () => []],
  [/(?:the\s+)?square\s+root(?:\s+of)?\b/iy, () => [prefix('sqrt')]],
  // A bare "sqrt" followed by "(" is a function call, left to the word rule.
  [/sqrt(?:\s+of)?\b(?!\s*\()/iy, () => [prefix('sqrt')]],
  [/(?:the\s+)?cube\s+root(?:\s+of)?\b/iy, () => [prefix('cbrt')]],
  [/(?:the\s+)?absolute\s+value(?:\s+of)?\b/iy, () => [prefix('abs')]],
  [/(?:the\s+)?natural\s+log(?:arithm)?(?:\s+of)?\b/iy, () => [prefix('log')]],
  [/ln(?:\s+of)?\b(?!\s*\()/iy, () => [prefix('log')]],
  [/(?:the\s+)?(?:log(?:arithm)?\s+(?:base\s+10\s+)?of)\b/iy, () => [prefix('log10')]],
  [/(?:the\s+)?factorial\s+of\b/iy, () => [prefix('factorial')]],
  [/(?:the\s+)?(sin|cos|tan)e?(?:\s+of)\b/iy, (m) => [prefix(m[1]!.toLowerCase())]],
  [/(?:raised\s+)?to\s+the\s+(\d+)(?:st|nd|rd|th)(?:\s+power)?\b/iy, (m) => [op('^'), num(m[1]!)]],
  [/(?:raised\s+)?to\s+the\s+power(?:\s+of)?\b/iy, () => [op('^')]],
  [/raised\s+to(?:\s+the)?\b/iy, () => [op('^')]],
  [/(?:the\s+)?power\s+of\b/iy, () => [op('^')]],
  [/squared\b/iy, () => [op('^'), num('2')]],
  [/cubed\b/iy, () => [op('^'), num('3')]],
  [/\*\*/y, () => [op('^')]],
  [/\^/y, () => [op('^')]],
  [/(?:multiplied\s+by|times)\b/iy, () => [op('*')]],
  [/[*×·]/y, () => [op('*')]],
  [/(?:divided\s+by|over)\b/iy, () => [op('/')]],
  [/[/÷]/y, () => [op('/')]],
  [/(?:plus|added\s+to)\b/iy, () => [op('+')]],
  [/\+/y, () => [op('+')]],
  [/(?:minus|negative)\b/iy, () => [op('-')]],
  [/[-−–]/y, () => [op('-')]],
  [/(?:percent|per\s*cent|%)\s+of\b/iy, () => [op('/'), num('100'), op('*')]],
  [/(?:percent|per\s*cent)\b/iy, () => [op('/'), num('100')]],
  // A bare % stays as written: mathjs reads "20%" as a percentage and "10 % 3" as modulo.
  [/%/y, () => [op('%')]],
  [/(?:modulo|mod)\b/iy, () => [op('mod')]],
  [/factorial\b(?!\s*\()/iy, () => [op('!')]],
  [/!/y, () => [op('!')]],
  [FRACTION, (m) => [fraction(m)]],
  [/(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/iy, (m) => [num(m[0])]],
  [/π/y, () => [{ kind: 'word', text: 'pi' }]],
  [/\(/y, () => [{ kind: 'open' }]],
  [/\)/y, () => [{ kind: 'close' }]],
  [/,/y, () => [{ kind: 'comma' }]],
  [ARTICLE_SCALE, () => [{ kind: 'numword', word: 'one' }]],
  [
    NUMBER_WORD,
    (m) =>
      m[0]
        .toLowerCase()
        .split('-')
        .map((word): Token => ({ kind: 'numword', word })),
  ],
  // "3x4": an x right before a number is the multiplication sign (see render).
  [/x(?=\s*[\d.(])/iy, () => [{ kind: 'word', text: 'x' }]],
  [/[A-Za-z_][A-Za-z0-9_]*/y, (m) => [{ kind: 'word', text: m[0] }]],
  // Anything else is passed through; the parser or the whitelist will reject what it does not know.
  [/[^\s]/y, (m) => [op(m[0])]],
];

/** Verb and noun forms whose operands are not in infix order ("subtract 3 from 10"). */
const FORMS: Array<[RegExp, (a: string, b: string) => string]> = [
  [/^(?:the\s+)?sum\s+of\s+(.+?)\s+and\s+(.+)$/i, (a, b) => `${a} + ${b}`],
  [/^add\s+(.+?)\s+(?:and|to)\s+(.+)$/i, (a, b) => `${a} + ${b}`],
  [/^(?:the\s+)?difference\s+(?:between|of)\s+(.+?)\s+and\s+(.+)$/i, (a, b) => `${a} - ${b}`],
  [/^subtract\s+(.+?)\s+from\s+(.+)$/i, (a, b) => `${b} - ${a}`],
  [/^(?:take\s+away|take)\s+(.+?)\s+from\s+(.+)$/i, (a, b) => `${b} - ${a}`],
  [/^(?:the\s+)?product\s+of\s+(.+?)\s+and\s+(.+)$/i, (a, b) => `${a} * ${b}`],
  [/^multiply\s+(.+?)\s+(?:by|and|with)\s+(.+)$/i, (a, b) => `${a} * ${b}`],
  [/^(?:the\s+)?quotient\s+of\s+(.+?)\s+(?:and|by)\s+(.+)$/i, (a, b) => `${a} / ${b}`],
  [/^divide\s+(.+?)\s+by\s+(.+)$/i, (a, b) => `${a} / ${b}`],
  [/^(?:the\s+)?remainder\s+(?:of|when)\s+(.+?)\s+(?:is\s+)?divided\s+by\s+(.+)$/i, (a, b) => `${a} mod ${b}`],
];
const UNARY_FORMS: Array<[RegExp, (a: string) => string]> = [
  [/^(?:the\s+)?square\s+of\s+(.+)$/i, (a) => `${a} ^ 2`],
  [/^(?:the\s+)?cube\s+of\s+(.+)$/i, (a) => `${a} ^ 3`],
  [/^half\s+(?:of\s+)?(.+)$/i, (a) => `${a} / 2`],
  [/^(?:double|twice)\s+(.+)$/i, (a) => `2 * ${a}`],
];

/**
 * Translates the arithmetic part of a question into a mathjs expression.
 * "50 divided by 2" -> "50 / 2"; "the square root of 16 plus 2" -> "sqrt(16) + 2".
 * Throws NotArithmeticError when there is nothing to compute or the phrase is not arithmetic.
 */
export function toExpression(phrase: string, depth = 0): string {
  const text = phrase.trim();
  if (text === '') throw new NotArithmeticError('there is nothing to compute in the question');
  if (depth === 0 && !looksLikeArithmetic(tokenize(stripThousands(text)))) {
    throw new NotArithmeticError(`"${text}" is not an arithmetic question.`);
  }
  if (depth < 4) {
    for (const [pattern, build] of FORMS) {
      const m = pattern.exec(text);
      if (m && m[1] !== undefined && m[2] !== undefined) {
        return build(group(toExpression(m[1], depth + 1)), group(toExpression(m[2], depth + 1)));
      }
    }
    for (const [pattern, build] of UNARY_FORMS) {
      const m = pattern.exec(text);
      if (m && m[1] !== undefined) return build(group(toExpression(m[1], depth + 1)));
    }
  }
  return render(tokenize(stripThousands(text)));
}

/** Wraps a sub-expression in parentheses unless it is a single number or name. */
function group(expression: string): string {
  return /^[\w.]+$/.test(expression) ? expression : `(${expression})`;
}

/** "1,000,000" -> "1000000", but only when there are no parentheses, where a comma separates
 * function arguments ("max(1,000)" is ambiguous, so it is left to mean two arguments). */
function stripThousands(text: string): string {
  if (text.includes('(')) return text;
  return text.replace(/\b\d{1,3}(?:,\d{3})+(?![\d,])/g, (m) => m.replace(/,/g, ''));
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  outer: while (pos < text.length) {
    for (const [pattern, make] of RULES) {
      pattern.lastIndex = pos;
      const m = pattern.exec(text);
      if (m && m[0].length > 0) {
        tokens.push(...make(m));
        pos += m[0].length;
        continue outer;
      }
    }
    pos += 1; // not reached: whitespace and every other character have a rule
  }
  return mergeNumberWords(tokens);
}

/** "one hundred and five" -> 105: runs of number words become one number; "two and a half" and
 * "2 and a half" become "(5/2)", "three quarters" "(3/4)": fractions stay exact. */
function mergeNumberWords(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token.kind === 'fraction') {
      out.push(num(`(${token.numerator}/${token.denominator})`));
      i = fractionOf(tokens, i + 1, out);
      continue;
    }
    if (token.kind !== 'numword') {
      i += 1;
      const next = tokens[i];
      if (token.kind === 'num' && /^\d+$/.test(token.text) && next?.kind === 'fraction' && next.and) {
        out.push(mixedNumber(BigInt(token.text), next));
        i = fractionOf(tokens, i + 1, out);
      } else {
        out.push(token);
      }
      continue;
    }
    let total = 0;
    let current = 0;
    let mixed: Token | undefined;
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.kind === 'numword') {
        const scale = SCALES[t.word];
        if (scale === undefined) current += SMALL[t.word] ?? 0;
        else if (scale === 100) current = (current === 0 ? 1 : current) * 100;
        else {
          total += (current === 0 ? 1 : current) * scale;
          current = 0;
        }
        i += 1;
      } else if (t.kind === 'word' && t.text.toLowerCase() === 'and' && tokens[i + 1]?.kind === 'numword') {
        i += 1;
      } else if (t.kind === 'fraction' && t.and) {
        mixed = mixedNumber(BigInt(total + current), t);
        i += 1;
        break;
      } else break;
    }
    out.push(mixed ?? num(String(total + current)));
    if (mixed) i = fractionOf(tokens, i, out);
  }
  return out;
}

/** "three quarters of 8": an "of" right after a fraction is multiplication. Returns the next index. */
function fractionOf(tokens: Token[], i: number, out: Token[]): number {
  const next = tokens[i];
  if (next?.kind !== 'word' || next.text.toLowerCase() !== 'of') return i;
  out.push(op('*'));
  return i + 1;
}

/** A whole number and a fraction as one exact operand: 2 and a half -> "(5/2)". */
function mixedNumber(whole: bigint, part: { numerator: number; denominator: number }): Token {
  const denominator = BigInt(part.denominator);
  return num(`(${whole * denominator + BigInt(part.numerator)}/${denominator})`);
}

/** False for a sentence of plain words ("the capital of France"): no number, no named constant, no
 * function in words, no symbol. Anything else goes on to the parser and the whitelist. */
function looksLikeArithmetic(tokens: Token[]): boolean {
  return tokens.some((t) => t.kind !== 'word' || ['pi', 'π', 'e', 'tau'].includes(t.text.toLowerCase()));
}

/** True when the token can end an operand, so that what follows it is a binary operator. */
function endsOperand(token: Token | undefined): boolean {
  if (!token) return false;
  if (token.kind === 'num' || token.kind === 'close' || token.kind === 'word') return true;
  return token.kind === 'op' && token.text === '!';
}

function startsOperand(token: Token | undefined): boolean {
  if (!token) return false;
  return token.kind === 'num' || token.kind === 'open' || token.kind === 'word' || token.kind === 'prefix';
}

/** The index just past the operand that starts at `start` (for a prefix function's argument),
 * or -1 when no operand starts there. */
function operandEnd(tokens: Token[], start: number): number {
  let i = start;
  while (tokens[i]?.kind === 'op' && (tokens[i] as { text: string }).text.match(/^[-+]$/)) i += 1;
  const token = tokens[i];
  if (!token) return -1;
  if (token.kind === 'prefix') return operandEnd(tokens, i + 1);
  if (token.kind === 'num') return i + 1;
  if (token.kind === 'word') return tokens[i + 1]?.kind === 'open' ? groupEnd(tokens, i + 1) : i + 1;
  if (token.kind === 'open') return groupEnd(tokens, i);
  return -1;
}

/** The index just past the parenthesis that closes the one at `open` (or the end). */
function groupEnd(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i += 1) {
    const kind = tokens[i]!.kind;
    if (kind === 'open') depth += 1;
    else if (kind === 'close') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return tokens.length;
}

function render(tokens: Token[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    switch (token.kind) {
      case 'prefix': {
        const end = operandEnd(tokens, i + 1);
        if (end < 0) throw new NotArithmeticError(`"${describePrefix(token.fn)}" needs a number after it`);
        parts.push(`${token.fn}(${render(tokens.slice(i + 1, end))})`);
        i = end;
        continue;
      }
      case 'word': {
        const lower = token.text.toLowerCase();
        // "3 x 4": an x between two operands is multiplication, not a variable.
        if (lower === 'x' && endsOperand(tokens[i - 1]) && startsOperand(tokens[i + 1])) parts.push('*');
        else if (lower === 'pi' || lower === 'π') parts.push('pi');
        else if (lower === 'ln') parts.push('log');
        else parts.push(token.text);
        break;
      }
      case 'num':
      case 'op':
        parts.push(token.text);
        break;
      case 'open':
        parts.push('(');
        break;
      case 'close':
        parts.push(')');
        break;
      case 'comma':
        parts.push(',');
        break;
      case 'numword':
      case 'fraction':
        // merged away by mergeNumberWords
        break;
    }
    i += 1;
  }
  return parts
    .join(' ')
    .replace(/(\w) \(/g, (_m, c: string) => (/\d/.test(c) ? `${c} (` : `${c}(`))
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')
    .replace(/ ,/g, ',');
}

function describePrefix(fn: string): string {
  switch (fn) {
    case 'sqrt':
      return 'square root of';
    case 'cbrt':
      return 'cube root of';
    case 'abs':
      return 'absolute value of';
    default:
      return fn;
  }
}
