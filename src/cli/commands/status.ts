import { Command } from 'commander';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { printJson } from '../output.js';

/** `sluice status ID`: the job as JSON. */
export function statusCommand(): Command {
  return withClientOptions(
    new Command('status')
      .description('show one job')
      .argument('<id>', 'job id')
      .option('--wait <seconds>', 'long-poll until the job ends or this many seconds pass'),
  ).action(async (id: string, flags: ClientFlags & { wait?: string }) => {
    const client = clientFrom(flags);
    printJson(await client.get(id, flags.wait ? { waitSeconds: Number(flags.wait) } : {}));
  });
}
