/**
 * The model catalogue in each dialect's shape. Code Assist has no model list, so Rotor serves a
 * built-in one (overridable with MODELS) in both the OpenAI and the Gemini shapes.
 */

export interface GeminiModelInfo {
  name: string;
  baseModelId: string;
  version: string;
  displayName: string;
  description: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  supportedGenerationMethods: string[];
  temperature: number;
  maxTemperature: number;
  topP: number;
  topK: number;
  thinking: boolean;
}

export function displayName(id: string): string {
  return id
    .split('-')
    .map((w) => (/^\d/.test(w) ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');
}

export function toGeminiModel(id: string): GeminiModelInfo {
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: id.includes('preview') ? 'preview' : '001',
    displayName: displayName(id),
    description: `${displayName(id)}, served through Rotor's credential pool`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
    temperature: 1,
    maxTemperature: 2,
    topP: 0.95,
    topK: 64,
    thinking: /^gemini-(2\.5|3)/.test(id),
  };
}

export function toOpenAIModel(id: string) {
  return { id, object: 'model' as const, created: 0, owned_by: 'google' };
}
