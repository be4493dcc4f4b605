import { Command } from 'commander';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';
import { printJson, printTable } from '../output.js';

/** `sluice queues [pause|resume NAME]`: queue depths and lag; pause or resume one. */
export function queuesCommand(): Command {
  const queues = withClientOptions(
    new Command('queues').description('show queues; pause or resume one').option('--json', 'print JSON'),
  ).action(async (flags: ClientFlags & { json?: boolean }) => {
    const { queues: list } = await clientFrom(flags).queues();
    if (flags.json) return printJson(list);
    printTable(
      ['QUEUE', 'PAUSED', 'SCHEDULED', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'LAG'],
      list.map((q) => [
        q.name,
        q.paused ? 'yes' : 'no',
        ...(['scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const).map((s) => String(q.counts[s])),
        `${(q.oldestQueuedAgeMs / 1000).toFixed(1)}s`,
      ]),
    );
  });
  for (const action of ['pause', 'resume'] as const) {
    queues.addCommand(
      withClientOptions(new Command(action).description(`${action} a queue`).argument('<name>', 'queue name')).action(
        async (name: string, flags: ClientFlags) => {
          const client = clientFrom(flags);
          printJson(action === 'pause' ? await client.pauseQueue(name) : await client.resumeQueue(name));
        },
      ),
    );
  }
  return queues;
}
