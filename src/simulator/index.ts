/**
 * The Google simulator: a local, faithful fake of Google's OAuth, userinfo and Code Assist endpoints that
 * Rotor's tests, demo and benchmarks run against over real HTTP. It imports nothing from the rest of src/.
 */
export { startSimulator } from './server.js';
export { DEFAULT_SIM_MODELS } from './types.js';
export type {
  SimAccountInput,
  SimCall,
  SimFault,
  SimFaultRule,
  SimMethod,
  Simulator,
  SimulatorOptions,
} from './types.js';
