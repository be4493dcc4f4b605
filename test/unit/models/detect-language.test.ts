import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createDetectLanguageHandler, type DetectLanguageOutput } from '../../../src/handlers/detect-language.js';
import { closeModelHandlers, modelHandlers } from '../../../src/handlers/model-handlers.js';
import { FastTextModel, getFastTextModel } from '../../../src/models/fasttext-model.js';
import { type HandlerDefinition, toDefinition } from '../../../src/worker/handler.js';
import { handlerContext } from '../handlers/handler-context.js';
import { permanent } from './fixtures.js';

const detect = toDefinition(modelHandlers()['detect-language']!) as HandlerDefinition<unknown, DetectLanguageOutput>;
const run = (input: unknown): Promise<DetectLanguageOutput> =>
  Promise.resolve(detect.handle(handlerContext<never>('detect-language', input)));

describe('detect-language handler (fastText lid.176, real model)', () => {
  after(() => closeModelHandlers());

  test('tells English, French and German apart', async () => {
    const cases: Array<[string, string, string]> = [
      ['The quick brown fox jumps over the lazy dog while the farmer watches.', 'en', 'English'],
      ['Le renard brun rapide saute par-dessus le chien paresseux pendant que le fermier regarde.', 'fr', 'French'],
      ['Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zuschaut.', 'de', 'German'],
    ];
    for (const [text, language, name] of cases) {
      const output = await run({ text });
      assert.equal(output.language, language, text);
      assert.equal(output.name, name);
      assert.ok(output.confidence > 0.5, `confidence ${output.confidence} for ${language}`);
      assert.equal(output.candidates.length, 3);
      assert.equal(output.candidates[0]?.language, language);
      const confidences = output.candidates.map((candidate) => candidate.confidence);
      assert.deepEqual(
        confidences,
        [...confidences].sort((a, b) => b - a),
      );
    }
    // Loaded once for the three jobs.
    assert.equal(getFastTextModel().loads, 1);
  });

  test('reads every line of a multi-line text', async () => {
    const output = await run({ text: 'Bonjour.\nJe voudrais réserver une table pour deux personnes ce soir.\nMerci beaucoup.' });
    assert.equal(output.language, 'fr');
  });

  test('refuses bad input with a permanent error on input.text', async () => {
    for (const input of [{}, { text: 7 }, { text: '' }, { text: '   ' }, { text: 'a'.repeat(100_001) }]) {
      await assert.rejects(run(input), permanent('input.text'));
    }
  });

  test('a model that cannot load fails the job permanently, with a clear message', async () => {
    const broken = new FastTextModel({ modelPath: pathToFileURL('/nonexistent/lid.176.ftz').href });
    const handler = createDetectLanguageHandler(() => broken);
    await assert.rejects(
      Promise.resolve(handler.handle(handlerContext<never>('detect-language', { text: 'hello there' }))),
      permanent(undefined, /^Language identification model could not be loaded: .*ENOENT/),
    );
    assert.equal(broken.loads, 0);
  });
});
