import { isSluiceError } from '../core/errors.js';
import { buildProgram } from './program.js';

/** Entry point: runs the CLI and turns known errors into a one-line message and exit code. */
try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (isSluiceError(error)) {
    process.stderr.write(`sluice: ${error.message}${error.field ? ` [${error.field}]` : ''} (${error.code})\n`);
    process.exitCode = error.code === 'SLUICE_CONFIG' ? 2 : 1;
  } else if (error instanceof Error && /ECONNREFUSED|fetch failed/.test(`${error.message} ${String(error.cause)}`)) {
    process.stderr.write(`sluice: cannot reach the server (${error.message}); is \`sluice serve\` running? (set --url or SLUICE_URL)\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
