import fc from 'fast-check';

/**
 * Inputs that have broken JSON APIs before: NUL, lone surrogates, invalid UTF-8 in a URL, numbers
 * past every limit (1e309 parses to Infinity), deep nesting, wrong types, UUIDs in upper case.
 */
const UUID = '0190a0a0-0000-7000-8000-000000000000';

export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '💥',
    UUID,
    UUID.toUpperCase(),
    `${UUID}\u0000`,
    '../../etc/passwd',
    '%00',
    '%ZZ',
    'default',
    ' default ',
    'a'.repeat(300),
    '1e309',
    '-0',
    'NaN',
    'true',
    'null',
    '__proto__',
    'constructor',
  ),
);

const nastyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, Number.MAX_VALUE, 1e308, Number.MIN_VALUE, 0.5),
);

/** A value nested `depth` deep in arrays and objects. */
const deep = fc.integer({ min: 50, max: 3000 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { v: value };
  return value;
});

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
);

/** An object with the schema's field names (and a few others) set to nasty values; sometimes
 * valid-looking (`type: "noop"`) so that validation past the first field is reached. */
export function nastyObject(fields: string[]): fc.Arbitrary<Record<string, unknown>> {
  const names = fc.constantFrom(...fields, 'extra', '__proto__', 'constructor', 'prototype');
  return fc
    .tuple(
      fc.dictionary(names, nastyValue, { maxKeys: 6 }),
      fc.boolean(),
      fc.constantFrom('noop', 'math', 'Noop', 'no such type', ''),
    )
    .map(([object, typed, type]) => (typed ? { type, input: {}, ...object } : object));
}

/**
 * A request body as sent: JSON of an arbitrary value or of a nasty object, raw text that only
 * looks like JSON (1e309, a trailing comma, a BOM, duplicate keys), or nothing at all.
 */
export function nastyBody(fields: string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: nastyObject(fields).map(safeStringify) },
    { weight: 2, arbitrary: nastyValue.map(safeStringify) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '{"type":"noop","priority":1e309}',
        '{"type":"noop","delayMs":1e309}',
        '{"type":"noop","maxAttempts":-1e309}',
        '{"type":"noop","input":{"n":1e309}}',
        '{"type":"noop",}',
        '\ufeff{"type":"noop"}',
        '{"type":"noop","type":"math"}',
        '{"jobs":[{"type":"noop"},{"type":1}]}',
        '{"jobs":"x"}',
        '{"type":"noop","input":"\\ud800"}',
        '{"type":"noop\\u0000"}',
        '[',
        'null',
        '"string"',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify({ jobs: [value, value] })) },
  );
}

/** Percent-encodes a string for a URL, and also invalid UTF-8 (a lone surrogate's bytes). */
export const urlPart = fc.oneof(
  nastyString.map(encodeLoosely),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
);

export function encodeLoosely(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    // A lone surrogate has no UTF-8 form: send the bytes it would have (invalid UTF-8).
    if (code >= 0xd800 && code <= 0xdfff)
      out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
    else out += encodeURIComponent(char);
  }
  return out;
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return '{"nested":"too deep to stringify"}';
  }
}
