import { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { Sluice } from '../../sluice.js';

/** `sluice migrate`: create or upgrade the backend's schema, then exit (for SLUICE_AUTO_MIGRATE=false deployments). */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description("create or upgrade the backend's schema and exit")
    .option('-b, --backend <url>', 'backend URL (env SLUICE_BACKEND, default sqlite:./data/sluice.db)')
    .action(async (flags: { backend?: string }) => {
      const config = loadConfig(process.env, { SLUICE_BACKEND: flags.backend });
      const sluice = await Sluice.connect(config.SLUICE_BACKEND, { migrate: true, store: config.SLUICE_STORE });
      await sluice.close();
      process.stdout.write(`schema of ${sluice.backend.name} backend is current\n`);
    });
}
