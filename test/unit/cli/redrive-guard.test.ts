import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { confirmRedrive, type Terminal } from '../../../src/cli/redrive-guard.js';
import { isSluiceError } from '../../../src/core/errors.js';

/** A terminal that records the questions and answers with `answer`. */
function terminal(interactive: boolean, answer = ''): Terminal & { asked: string[] } {
  const asked: string[] = [];
  return {
    interactive,
    asked,
    async ask(question) {
      asked.push(question);
      return answer;
    },
  };
}

const count = (n: number) => async () => n;

describe('confirmRedrive (the guard of a bare `sluice dlq redrive`)', () => {
  test('a filter or --all goes ahead without asking', async () => {
    for (const scope of [{ queue: 'q' }, { type: 't' }, { ids: ['a'] }, { all: true }]) {
      const tty = terminal(true);
      assert.equal(await confirmRedrive(scope, tty, count(3)), true, JSON.stringify(scope));
      assert.deepEqual(tty.asked, []);
      assert.equal(await confirmRedrive(scope, terminal(false), count(3)), true, 'no terminal needed either');
    }
  });

  test('on a terminal, no filter asks with the count and goes ahead only on yes', async () => {
    const yes = terminal(true, 'y');
    assert.equal(await confirmRedrive({}, yes, count(28)), true);
    assert.deepEqual(yes.asked, ['Redrive all 28 failed jobs? [y/N] ']);
    assert.equal(await confirmRedrive({}, terminal(true, ' YES '), count(1)), true);
    for (const answer of ['', 'n', 'no', 'yep', 'sure']) {
      assert.equal(await confirmRedrive({}, terminal(true, answer), count(2)), false, `"${answer}" is not a yes`);
    }
  });

  test('without a terminal, no filter is refused naming --all, and nothing is asked', async () => {
    const pipe = terminal(false, 'y');
    await assert.rejects(confirmRedrive({}, pipe, count(5)), (error) => {
      assert.ok(isSluiceError(error));
      assert.equal(error.code, 'SLUICE_VALIDATION');
      assert.equal(error.field, '--all');
      assert.match(error.message, /pass --all/);
      return true;
    });
    assert.deepEqual(pipe.asked, []);
  });
});
