import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { imageSize, MAX_IMAGE_PIXELS } from '../../../src/handlers/image-input.js';
import { closeModelHandlers, MODEL_HANDLER_TYPES, modelHandlers } from '../../../src/handlers/model-handlers.js';
import { createOcrHandler, type OcrOutput } from '../../../src/handlers/ocr.js';
import { getTesseractModel, TesseractModel } from '../../../src/models/tesseract-model.js';
import { type HandlerDefinition, toDefinition } from '../../../src/worker/handler.js';
import { handlerContext } from '../handlers/handler-context.js';
import { permanent, renderText } from './fixtures.js';

const ocr = toDefinition(modelHandlers().ocr!) as HandlerDefinition<unknown, OcrOutput>;
const run = (input: unknown, signal?: AbortSignal): Promise<OcrOutput> =>
  Promise.resolve(ocr.handle(handlerContext<never>('ocr', input, signal)));

function assertHelloSluice(output: OcrOutput): void {
  assert.match(output.text, /hello/i);
  assert.match(output.text, /sluice/i);
  assert.ok(output.confidence > 50, `confidence ${output.confidence}`);
}

describe('ocr handler (tesseract.js, real model)', () => {
  after(() => closeModelHandlers());

  test('modelHandlers serves every model type', () => {
    assert.deepEqual(Object.keys(modelHandlers()).sort(), [...MODEL_HANDLER_TYPES].sort());
  });

  test('reads the text of a PNG given as base64', async () => {
    const output = await run({ image: renderText('Hello Sluice 2026').toString('base64') });
    assertHelloSluice(output);
    assert.match(output.text, /2026/);
  });

  test('reads a JPEG given as a data: URL, reusing the loaded model', async () => {
    const jpeg = renderText('Hello Sluice 2026', 'jpeg');
    assertHelloSluice(await run({ image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }));
    // Two sequential jobs: one worker, loaded once.
    assert.equal(getTesseractModel().loads, 1);
    assert.equal(getTesseractModel().stats().workers, 1);
  });

  test('refuses bad input with a permanent error on input.image', async () => {
    const hugePng = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(hugePng);
    hugePng.writeUInt32BE(13, 8);
    hugePng.write('IHDR', 12, 'latin1');
    hugePng.writeUInt32BE(50_000, 16);
    hugePng.writeUInt32BE(50_000, 20);
    const cases: Array<[unknown, RegExp]> = [
      [{}, /must be a string/],
      [{ image: 42 }, /must be a string/],
      [{ image: '' }, /is empty/],
      [{ image: '%%% not base64 %%%' }, /not valid base64/],
      [{ image: Buffer.from('hello, world').toString('base64') }, /not a PNG or JPEG/],
      [{ image: 'data:image/png,rawbytes' }, /without base64/],
      [{ image: hugePng.toString('base64') }, new RegExp(`50000x50000 pixels, at most ${MAX_IMAGE_PIXELS}`)],
    ];
    for (const [input, message] of cases) await assert.rejects(run(input), permanent('input.image', message));
    await assert.rejects(run('just a string'), permanent('input', /must be an object/));
  });

  test('a PNG header over garbage is refused by the decoder, permanently', async () => {
    const png = renderText('Hello');
    const corrupt = Buffer.concat([png.subarray(0, 33), Buffer.alloc(200, 7)]);
    await assert.rejects(run({ image: corrupt.toString('base64') }), permanent('input.image', /could not be decoded/));
    // The worker survives a bad image.
    assertHelloSluice(await run({ image: renderText('Hello Sluice').toString('base64') }));
  });

  test('reads PNG and JPEG sizes from their headers', () => {
    assert.deepEqual(imageSize(renderText('x')), { format: 'png', width: 900, height: 200 });
    assert.deepEqual(imageSize(renderText('x', 'jpeg')), { format: 'jpeg', width: 900, height: 200 });
    assert.equal(imageSize(Buffer.from('GIF89a...')), undefined);
  });

  test('a model that cannot load fails the job permanently, with a clear message', async () => {
    const broken = new TesseractModel({ langPath: '/nonexistent/tessdata' });
    const handler = createOcrHandler(() => broken, 1);
    const image = renderText('Hello').toString('base64');
    await assert.rejects(
      Promise.resolve(handler.handle(handlerContext<never>('ocr', { image }))),
      permanent(undefined, /^OCR model could not be loaded: cannot read \/nonexistent\/tessdata\/eng\.traineddata\.gz/),
    );
    assert.equal(broken.loads, 0);
    await broken.close();
  });

  test('an aborted recognition rejects with the reason and its worker is replaced', async () => {
    const model = new TesseractModel({ workers: 1 });
    try {
      const image = renderText('Hello Sluice').toString('base64');
      const handler = createOcrHandler(() => model, 1);
      const controller = new AbortController();
      const reason = new Error('timed out');
      const start = (): Promise<unknown> =>
        assert.rejects(
          Promise.resolve(handler.handle(handlerContext<never>('ocr', { image }, controller.signal))),
          (error) => error === reason,
        );
      // A second job waits for the only worker; abort both while the first is loading or running.
      const both = Promise.all([start(), start()]);
      setImmediate(() => controller.abort(reason));
      await both;
      assertHelloSluice(await handler.handle(handlerContext<never>('ocr', { image })));
      assert.equal(model.stats().workers, 1);
      assert.equal(model.stats().waiting, 0);
    } finally {
      await model.close();
    }
  });
});
