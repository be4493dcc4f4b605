import { runConformance } from '../conformance/index.js';
import { MemoryBackend } from '../helpers/memory-backend.js';

// The unit tests' fake backend passes the same suite as the real adapters, so what the worker's
// unit tests prove against it holds against them too. Its "other handles" share one store.
runConformance('memory (test fake)', async ({ clock }) => {
  const backend = new MemoryBackend({ clock });
  return { backend, openAnother: async () => backend, cleanup: () => backend.close() };
});
