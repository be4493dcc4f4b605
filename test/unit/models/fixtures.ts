import { createCanvas } from '@napi-rs/canvas';
import { hasErrorCode } from '../../../src/core/errors.js';

/** `text` in a large bold font, black on white: what a scanner would give for a clean label. */
export function renderText(text: string, format: 'png' | 'jpeg' = 'png'): Buffer {
  const canvas = createCanvas(900, 200);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000000';
  context.font = 'bold 72px sans-serif';
  context.fillText(text, 30, 130);
  return format === 'png' ? canvas.toBuffer('image/png') : canvas.toBuffer('image/jpeg', 95);
}

/** An assert.rejects matcher: a permanent Sluice error about `field`, its message matching `message`. */
export function permanent(field: string | undefined, message?: RegExp): (error: unknown) => boolean {
  return (error) => {
    if (!hasErrorCode(error, 'SLUICE_PERMANENT')) throw error;
    const { field: actual, message: text } = error as { field?: string; message: string };
    if (actual !== field) throw new Error(`expected field ${String(field)}, got ${String(actual)}: ${text}`);
    if (message && !message.test(text)) throw new Error(`unexpected message: ${text}`);
    return true;
  };
}
