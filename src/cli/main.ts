import { ErrorCodes, isSluiceError } from '../core/errors.js';
import { buildProgram } from './program.js';
import { exitsAsBadSetting } from './startup-error.js';

/** Entry point: runs the CLI and turns known errors into a one-line message and an exit code
 * (2 for bad settings and start-up failures, 1 for everything else). */
try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (!isSluiceError(error)) throw error;
  const hint =
    error.code === ErrorCodes.backendUnavailable && error.message.startsWith('cannot reach')
      ? '; is `sluice serve` running there? (set --url or SLUICE_URL)'
      : '';
  process.stderr.write(`sluice: ${error.message}${error.field ? ` [${error.field}]` : ''} (${error.code})${hint}\n`);
  process.exitCode = exitsAsBadSetting(error) ? 2 : 1;
}
