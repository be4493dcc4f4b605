import { z } from 'zod';
import { PermanentError } from '../core/errors.js';

/**
 * The input each built-in handler accepts, as one zod schema per job type. The handler parses its
 * input with it, and the API checks a submitted job's input with the same schema before storing
 * it, so an input that cannot run is a 400 naming the field (`input.n`) instead of a job that fails
 * later. This file imports zod only: the API server loads it without loading mathjs, a model or a
 * thread pool.
 */

/** Largest n accepted: 200000! has 973351 digits, computed in well under a second. */
export const FACTORIAL_MAX_N = 200_000;
/** Longest sleep accepted: 24 hours, the longest job timeout. */
export const SLEEP_MAX_MS = 24 * 3600 * 1000;
/** Longest math question accepted (characters); with the expression whitelist it bounds a job's work. */
export const MAX_QUESTION_LENGTH = 500;
/** Longest nlp text accepted, in characters (~20 000 tokens, 45-90 ms of wink on one core). */
export const NLP_MAX_TEXT_LENGTH = 100_000;
/** Longest detect-language text accepted, in characters (~10 ms of fastText). */
export const DETECT_LANGUAGE_MAX_TEXT_LENGTH = 100_000;
/** Inputs sent in one embeddings request at most (OpenAI accepts 2048). */
export const EMBED_MAX_INPUTS = 2048;

/** An input object; anything else is refused on `input` with `message`. */
function inputObject<S extends z.core.$ZodLooseShape>(shape: S, message = 'must be an object') {
  return z.object(shape, { error: message });
}

function integerFrom0To(max: number) {
  const message = `must be an integer from 0 to ${max}`;
  return z.number({ error: message }).int(message).min(0, message).max(max, message);
}

/** A non-blank text of at most `maxLength` characters. */
function text(maxLength: number) {
  return z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
    if (value.trim() === '') ctx.addIssue({ code: 'custom', message: 'is empty' });
    else if (value.length > maxLength) {
      ctx.addIssue({ code: 'custom', message: `has ${value.length} characters, at most ${maxLength} are accepted` });
    }
  });
}

const QUESTION_HINT = 'must be an object with a string "question", e.g. {"question": "What is 2 plus 2?"}';

export const mathInputSchema = inputObject(
  { question: z.string({ error: QUESTION_HINT }).max(MAX_QUESTION_LENGTH, `is longer than ${MAX_QUESTION_LENGTH} characters`) },
  QUESTION_HINT,
);

export const factorialInputSchema = inputObject(
  { n: integerFrom0To(FACTORIAL_MAX_N) },
  `must be an object {"n": an integer from 0 to ${FACTORIAL_MAX_N}}`,
);

export const sleepInputSchema = inputObject(
  { ms: integerFrom0To(SLEEP_MAX_MS) },
  `must be an object {"ms": an integer from 0 to ${SLEEP_MAX_MS}}`,
);

export const noopInputSchema = z.unknown();

export const nlpInputSchema = inputObject({
  text: text(NLP_MAX_TEXT_LENGTH),
  tokens: z.boolean({ error: 'must be a boolean' }).optional(),
});

export const detectLanguageInputSchema = inputObject({ text: text(DETECT_LANGUAGE_MAX_TEXT_LENGTH) });

/** The image's format and size are checked when the job runs (see image-input.ts). */
export const ocrInputSchema = inputObject({
  image: z.string({ error: 'must be a string: a base64 PNG or JPEG, or a data: URL' }).min(1, 'is empty'),
});

export const chatInputSchema = z.object({
  messages: z
    .array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.string().max(1_000_000) }))
    .min(1)
    .max(1000),
  model: z.string().min(1).max(200),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().max(1_000_000).optional(),
  /** Stream the answer's text into the job's event log (`job.output.delta`) as it is generated. */
  stream: z.boolean({ error: 'must be a boolean' }).optional(),
});

export const embedInputSchema = z.object({
  texts: z.array(z.string().min(1).max(100_000)).min(1).max(EMBED_MAX_INPUTS),
  model: z.string().min(1).max(200),
});

/** The input schema of every built-in job type. */
export const BUILTIN_INPUT_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  math: mathInputSchema,
  factorial: factorialInputSchema,
  sleep: sleepInputSchema,
  noop: noopInputSchema,
  nlp: nlpInputSchema,
  'detect-language': detectLanguageInputSchema,
  ocr: ocrInputSchema,
  chat: chatInputSchema,
  embed: embedInputSchema,
};

/**
 * The first problem of `input` under `schema`, with the field as a dotted path from `input`
 * (`input.n`), or undefined when the input fits.
 */
export function inputProblem(schema: z.ZodType, input: unknown): InputProblem | undefined {
  const result = schema.safeParse(input);
  return result.success ? undefined : problemOf(result.error);
}

/** Parses a job's input with `schema` when the job runs; a bad input is a PermanentError naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, handler: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { field, message } = problemOf(result.error);
  throw new PermanentError(`${handler}: ${field}: ${message}`, { field });
}

export interface InputProblem {
  field: string;
  message: string;
}

function problemOf(error: z.ZodError): InputProblem {
  const issue = error.issues[0];
  return { field: ['input', ...(issue?.path ?? []).map(String)].join('.'), message: issue?.message ?? 'invalid input' };
}
