import { Command } from 'commander';
import { dlqCommand } from './commands/dlq.js';
import { eventsCommand } from './commands/events.js';
import { jobsCommand } from './commands/jobs.js';
import { migrateCommand } from './commands/migrate.js';
import { mockProviderCommand } from './commands/mock-provider.js';
import { queuesCommand } from './commands/queues.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { workerCommand } from './commands/worker.js';

/** The `sluice` command line: the composition root of the application. */
export function buildProgram(): Command {
  return (
    new Command('sluice')
      .description('Sluice: a durable queue for AI jobs')
      .version('0.1.0')
      .showHelpAfterError()
      // Each command's flags come after its own name, so `dlq redrive --all` reaches redrive, not dlq.
      .enablePositionalOptions()
      .addCommand(serveCommand())
      .addCommand(workerCommand())
      .addCommand(submitCommand())
      .addCommand(statusCommand())
      .addCommand(eventsCommand())
      .addCommand(jobsCommand())
      .addCommand(queuesCommand())
      .addCommand(dlqCommand())
      .addCommand(migrateCommand())
      .addCommand(mockProviderCommand())
  );
}
