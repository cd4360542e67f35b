/** The memory store: the conformance suite, then what only it does (snapshot file, bounds). */
import { MemoryStore } from '../../src/store/memory.js';
import { describeStateStoreConformance } from './conformance.js';

describeStateStoreConformance('MemoryStore', async () => {
  const now = { t: Date.now() };
  const store = new MemoryStore({ now: () => now.t });
  return { store, now, close: () => store.close() };
});
