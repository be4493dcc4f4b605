import { PermanentError } from '../core/errors.js';
import { ocrInputSchema, parseInput } from './input-schemas.js';

/**
 * Reads `input.image`: a PNG or JPEG as base64, or as a `data:` URL with base64 content. Checks the
 * format and the pixel count before any model sees it, so that a decompression bomb (a tiny PNG of
 * 50 000 x 50 000 pixels) is refused instead of exhausting the OCR thread's memory.
 */

/** Largest decoded image accepted, in bytes. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Largest image accepted, in pixels (a 300 dpi A4 page is ~8.7 MP). */
export const MAX_IMAGE_PIXELS = 25_000_000;

export interface ImageInput {
  bytes: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const FIELD = 'input.image';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function fail(type: string, message: string): never {
  throw new PermanentError(`${type}: ${FIELD} ${message}`, { field: FIELD });
}

export function readImage(input: unknown, type: string): ImageInput {
  const value = parseInput(ocrInputSchema, input, type).image;
  let encoded = value;
  if (/^data:/i.test(value)) {
    const comma = value.indexOf(',');
    const header = comma < 0 ? value : value.slice(0, comma);
    if (comma < 0 || !/;base64$/i.test(header)) fail(type, 'is a data: URL without base64 content');
    encoded = value.slice(comma + 1);
  }
  encoded = encoded.replace(/\s+/g, '');
  if (encoded === '') fail(type, 'is empty');
  if (encoded.length > Math.ceil(MAX_IMAGE_BYTES / 3) * 4) fail(type, `is larger than ${MAX_IMAGE_BYTES} bytes`);
  if (!BASE64.test(encoded) && !BASE64URL.test(encoded)) fail(type, 'is not valid base64');
  const bytes = Buffer.from(encoded, BASE64.test(encoded) ? 'base64' : 'base64url');
  const size = imageSize(bytes);
  if (!size) fail(type, 'is not a PNG or JPEG image');
  if (size.width === 0 || size.height === 0) fail(type, 'has no pixels');
  if (size.width * size.height > MAX_IMAGE_PIXELS) {
    fail(type, `is ${size.width}x${size.height} pixels, at most ${MAX_IMAGE_PIXELS} pixels are accepted`);
  }
  return { bytes, ...size };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Format and size from the header: PNG's IHDR chunk, or JPEG's first start-of-frame marker. */
export function imageSize(bytes: Buffer): Omit<ImageInput, 'bytes'> | undefined {
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(PNG_SIGNATURE) && bytes.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    let offset = 2;
    while (offset + 9 <= bytes.length) {
      if (bytes[offset] !== 0xff) return undefined;
      const marker = bytes[offset + 1] ?? 0;
      if (marker === 0xff) {
        offset += 1; // fill byte
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        offset += 2; // markers without a length
        continue;
      }
      const length = bytes.readUInt16BE(offset + 2);
      // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpeg', height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
      }
      if (length < 2) return undefined;
      offset += 2 + length;
    }
  }
  return undefined;
}
