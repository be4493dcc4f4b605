import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { closeModelHandlers, modelHandlers } from '../../../src/handlers/model-handlers.js';
import { NLP_MAX_TEXT_LENGTH, type NlpOutput } from '../../../src/handlers/nlp.js';
import { analyseText, winkLoadsHere } from '../../../src/models/wink-analyse.js';
import { winkModelStats } from '../../../src/models/wink-model.js';
import { type HandlerDefinition, toDefinition } from '../../../src/worker/handler.js';
import { handlerContext } from '../handlers/handler-context.js';
import { permanent } from './fixtures.js';

const nlp = toDefinition(modelHandlers().nlp!) as HandlerDefinition<unknown, NlpOutput>;
const run = (input: unknown, signal?: AbortSignal): Promise<NlpOutput> =>
  Promise.resolve(nlp.handle(handlerContext<never>('nlp', input, signal)));

describe('nlp handler (wink-nlp English lite model, real model)', () => {
  after(() => closeModelHandlers());

  test('finds an email, a URL, a date and money in one sentence', async () => {
    const output = await run({
      text: 'Write to jane.doe@example.com or see https://sluice.dev/docs before 25 December 2026; the plan costs $25.50.',
    });
    const found = (type: string): string[] =>
      output.entities.filter((entity) => entity.type === type).map((entity) => entity.text);
    assert.deepEqual(found('EMAIL'), ['jane.doe@example.com']);
    assert.deepEqual(found('URL'), ['https://sluice.dev/docs']);
    assert.deepEqual(found('DATE'), ['25 December 2026']);
    assert.deepEqual(found('MONEY'), ['$25.50']);
    assert.equal(output.sentences, 1);
    assert.ok(output.tokenCount > 10);
    assert.equal(output.tokens, undefined);
  });

  test('gives positive sentiment to praise and negative to complaint', async () => {
    const praise = await run({ text: 'I love this, it is wonderful' });
    assert.ok(praise.sentiment > 0, `sentiment ${praise.sentiment}`);
    assert.equal(praise.sentimentLabel, 'positive');
    const complaint = await run({ text: 'This is terrible, I hate it and the support was awful.' });
    assert.ok(complaint.sentiment < 0, `sentiment ${complaint.sentiment}`);
    assert.equal(complaint.sentimentLabel, 'negative');
  });

  test('adds tokens with parts of speech when asked', async () => {
    const output = await run({ text: 'Sluice runs jobs.', tokens: true });
    assert.deepEqual(
      output.tokens?.map((token) => [token.text, token.pos]),
      [
        ['Sluice', 'PROPN'],
        ['runs', 'VERB'],
        ['jobs', 'NOUN'],
        ['.', 'PUNCT'],
      ],
    );
  });

  test('loads the model once per thread and reuses it', async () => {
    await run({ text: 'One more text.' });
    const stats = winkModelStats();
    assert.ok(stats.threads >= 1 && stats.threads <= stats.maxThreads);
    // Every job so far ran sequentially: each thread that answered loaded the model exactly once.
    assert.ok(stats.modelLoads >= 1 && stats.modelLoads <= stats.maxThreads, `model loads ${stats.modelLoads}`);
    // The same module in this process: loaded on first use, then reused.
    await analyseText('first');
    await analyseText('second');
    assert.equal(winkLoadsHere(), 1);
  });

  test('refuses bad input with a permanent error on the field', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{}, 'input.text', /must be a string/],
      [{ text: 42 }, 'input.text', /must be a string/],
      [{ text: '' }, 'input.text', /is empty/],
      [{ text: ' \n\t ' }, 'input.text', /is empty/],
      [{ text: 'x'.repeat(NLP_MAX_TEXT_LENGTH + 1) }, 'input.text', /at most 100000/],
      [{ text: 'fine', tokens: 'yes' }, 'input.tokens', /must be a boolean/],
      [null, 'input', /must be an object/],
    ];
    for (const [input, field, message] of cases) await assert.rejects(run(input), permanent(field, message));
  });

  test('an aborted job rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    controller.abort(reason);
    await assert.rejects(run({ text: 'never analysed' }, controller.signal), (error) => error === reason);
  });
});
