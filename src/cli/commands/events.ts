import { Command, InvalidArgumentError } from 'commander';
import { type ClientFlags, clientFrom, withClientOptions } from '../client-options.js';

interface EventsFlags extends ClientFlags {
  follow?: boolean;
  after?: string;
}

/** `sluice events ID [--follow]`: a job's events, one JSON object a line (to pipe into jq). */
export function eventsCommand(): Command {
  return withClientOptions(
    new Command('events')
      .description("print a job's events, one JSON object a line; --follow streams them until the job ends")
      .argument('<id>', 'job id')
      .option('-f, --follow', 'keep streaming new events until the job ends (Server-Sent Events)')
      .option('--after <seq>', 'only events after this seq', '0'),
  ).action(async (id: string, flags: EventsFlags) => {
    const client = clientFrom(flags);
    const after = parseSeq(flags.after ?? '0');
    if (!flags.follow) {
      // Page by page: a long history (many output deltas) comes in reads of at most 1000.
      for (let from = after; ; ) {
        const events = await client.jobEvents(id, { after: from });
        for (const event of events) process.stdout.write(`${JSON.stringify(event)}\n`);
        const last = events.at(-1);
        if (last === undefined) return;
        from = last.seq;
      }
    }
    for await (const event of client.events(id, { after })) process.stdout.write(`${JSON.stringify(event)}\n`);
  });
}

function parseSeq(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new InvalidArgumentError(`--after must be a seq (a whole number), got "${text}"`);
  return Number(text);
}
