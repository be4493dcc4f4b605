import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/core/errors.js';
import { JSON_LIMITS, toBoundedJson } from '../../../src/core/json-bounds.js';

const refused = (field: string) => ({ code: ErrorCodes.validation, field });

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('toBoundedJson', () => {
  test('answers the JSON text of a value within the bounds, small or not', () => {
    for (const value of [
      { prompt: 'hello', tags: ['a', 'b'], n: 1.5 },
      'nullable is a word, not a null',
      { text: 'é\u{1F600} paired surrogates are fine', x: null },
      Array.from({ length: 3000 }, (_, i) => i),
      nested(JSON_LIMITS.maxDepth),
    ]) {
      assert.equal(toBoundedJson(value, 'input'), JSON.stringify(value));
    }
  });

  test('refuses what the walk refuses, naming the path, whether the text is small or large', () => {
    const pad = 'x'.repeat(3 * 1000);
    for (const extra of [{}, { pad }]) {
      assert.throws(() => toBoundedJson({ ...extra, a: 'x\u0000' }, 'input'), refused('input.a'));
      assert.throws(() => toBoundedJson({ ...extra, b: '\uD800' }, 'input'), refused('input.b'));
      assert.throws(() => toBoundedJson({ ...extra, c: [Number.POSITIVE_INFINITY] }, 'input'), refused('input.c.0'));
      assert.throws(() => toBoundedJson({ ...extra, 'k\u0000': 1 }, 'input'), refused('input'));
    }
    assert.throws(() => toBoundedJson(nested(JSON_LIMITS.maxDepth + 1), 'input'), { code: ErrorCodes.validation });
    assert.throws(() => toBoundedJson(nested(5000), 'input'), { code: ErrorCodes.validation });
    assert.throws(() => toBoundedJson(10n, 'input'), refused('input'));
  });
});
