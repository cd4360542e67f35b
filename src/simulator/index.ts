/**
 * The Google simulator: a local, faithful fake of Google's OAuth, userinfo, Code Assist and public Gemini API
 * endpoints that Rotor's tests, demo and benchmarks run against over real HTTP (README.md). It imports
 * nothing from the rest of src/.
 */
export { startSimulator } from './server.js';
export { DEFAULT_SIM_EMBEDDING_MODELS, DEFAULT_SIM_MODELS } from './types.js';
export type {
  SimAccountInput,
  SimApiKeyInput,
  SimCall,
  SimCallFilter,
  SimFault,
  SimFaultRule,
  SimMethod,
  SimQuotaLimits,
  SimQuotas,
  SimQuotaStats,
  SimQuotaWindow,
  SimScenario,
  SimStats,
  Simulator,
  SimulatorOptions,
} from './types.js';
