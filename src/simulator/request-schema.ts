/**
 * The request messages the fake Code Assist accepts, field by field (proto names as the real API's JSON).
 * Sources: gemini-cli code_assist/converter.ts and types.ts (envelope, generationConfig keys, client metadata);
 * Vertex AI GenerateContentRequest for the inner request. Deliberately absent, because Code Assist rejects
 * them with "Unknown name": `id` on functionCall / functionResponse (openclaw/openclaw#756,
 * google-gemini/gemini-cli#13972) and JSON-Schema-only keywords in `parameters` (`additionalProperties`,
 * `$ref`, `const`, ...), which belong in `parametersJsonSchema`.
 */
import type { FieldSpec, MessageSpec, ProtoType } from './proto-json.js';

const V = 'google.cloud.aiplatform.v1beta1.';
const CA = 'google.internal.cloud.code.v1internal.';

export const str: FieldSpec = { type: { kind: 'string' } };
export const bool: FieldSpec = { type: { kind: 'bool' } };
export const int32: FieldSpec = { type: { kind: 'int32' } };
const int64: FieldSpec = { type: { kind: 'int64' } };
const float: FieldSpec = { type: { kind: 'float' } };
const double: FieldSpec = { type: { kind: 'double' } };
const bytes: FieldSpec = { type: { kind: 'bytes' } };
export const struct: FieldSpec = { type: { kind: 'struct' } };
const value: FieldSpec = { type: { kind: 'value' } };
export const strings: FieldSpec = { type: { kind: 'string' }, repeated: true };

export function msg(spec: () => MessageSpec): FieldSpec {
  return { type: { kind: 'message', spec } };
}
export function many(field: FieldSpec): FieldSpec {
  return { ...field, repeated: true };
}
export function enumOf(name: string, values: readonly string[]): FieldSpec {
  return { type: { kind: 'enum', name, values } };
}
export function loose(name: string): FieldSpec {
  const type: ProtoType = { kind: 'loose', name: `${V}${name}` };
  return { type };
}

const blob: MessageSpec = { name: `${V}Blob`, fields: { mimeType: str, data: bytes, displayName: str } };
const fileData: MessageSpec = { name: `${V}FileData`, fields: { mimeType: str, fileUri: str, displayName: str } };
const functionCall: MessageSpec = { name: `${V}FunctionCall`, fields: { name: str, args: struct } };
const functionResponse: MessageSpec = { name: `${V}FunctionResponse`, fields: { name: str, response: struct } };
const executableCode: MessageSpec = {
  name: `${V}ExecutableCode`,
  fields: { language: enumOf(`${V}ExecutableCode.Language`, ['LANGUAGE_UNSPECIFIED', 'PYTHON']), code: str },
};
const codeExecutionResult: MessageSpec = {
  name: `${V}CodeExecutionResult`,
  fields: {
    outcome: enumOf(`${V}CodeExecutionResult.Outcome`, ['OUTCOME_UNSPECIFIED', 'OUTCOME_OK', 'OUTCOME_FAILED', 'OUTCOME_DEADLINE_EXCEEDED']),
    output: str,
  },
};
const videoMetadata: MessageSpec = { name: `${V}VideoMetadata`, fields: { startOffset: str, endOffset: str, fps: double } };

/** The `data` oneof of Part: exactly one of these must be set. */
export const PART_DATA_FIELDS = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
] as const;

export const part: MessageSpec = {
  name: `${V}Part`,
  fields: {
    text: str,
    thought: bool,
    thoughtSignature: bytes,
    inlineData: msg(() => blob),
    fileData: msg(() => fileData),
    functionCall: msg(() => functionCall),
    functionResponse: msg(() => functionResponse),
    executableCode: msg(() => executableCode),
    codeExecutionResult: msg(() => codeExecutionResult),
    videoMetadata: msg(() => videoMetadata),
    mediaResolution: loose('Part.MediaResolution'),
  },
};

const content: MessageSpec = { name: `${V}Content`, fields: { role: str, parts: many(msg(() => part)) } };

/** OpenAPI-subset Schema (function `parameters`, `responseSchema`). */
export const schema: MessageSpec = {
  name: `${V}Schema`,
  fields: {
    type: enumOf(`${V}Type`, ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']),
    format: str,
    title: str,
    description: str,
    nullable: bool,
    default: value,
    items: msg(() => schema),
    minItems: int64,
    maxItems: int64,
    enum: strings,
    properties: { type: { kind: 'message', spec: () => schema }, map: true },
    propertyOrdering: strings,
    required: strings,
    minProperties: int64,
    maxProperties: int64,
    minimum: double,
    maximum: double,
    minLength: int64,
    maxLength: int64,
    pattern: str,
    example: value,
    anyOf: many(msg(() => schema)),
  },
};

export const functionDeclaration: MessageSpec = {
  name: `${V}FunctionDeclaration`,
  fields: {
    name: str,
    description: str,
    parameters: msg(() => schema),
    parametersJsonSchema: value,
    response: msg(() => schema),
    responseJsonSchema: value,
    behavior: enumOf(`${V}FunctionDeclaration.Behavior`, ['UNSPECIFIED', 'BLOCKING', 'NON_BLOCKING']),
  },
};

const tool: MessageSpec = {
  name: `${V}Tool`,
  fields: {
    functionDeclarations: many(msg(() => functionDeclaration)),
    googleSearch: loose('Tool.GoogleSearch'),
    googleSearchRetrieval: loose('GoogleSearchRetrieval'),
    codeExecution: loose('Tool.CodeExecution'),
    urlContext: loose('UrlContext'),
    retrieval: loose('Retrieval'),
    enterpriseWebSearch: loose('EnterpriseWebSearch'),
    googleMaps: loose('GoogleMaps'),
    computerUse: loose('Tool.ComputerUse'),
  },
};

const functionCallingConfig: MessageSpec = {
  name: `${V}FunctionCallingConfig`,
  fields: {
    mode: enumOf(`${V}FunctionCallingConfig.Mode`, ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']),
    allowedFunctionNames: strings,
  },
};

export const toolConfig: MessageSpec = {
  name: `${V}ToolConfig`,
  fields: { functionCallingConfig: msg(() => functionCallingConfig), retrievalConfig: loose('RetrievalConfig') },
};

export const safetySetting: MessageSpec = {
  name: `${V}SafetySetting`,
  fields: {
    category: enumOf(`${V}HarmCategory`, [
      'HARM_CATEGORY_UNSPECIFIED',
      'HARM_CATEGORY_HATE_SPEECH',
      'HARM_CATEGORY_DANGEROUS_CONTENT',
      'HARM_CATEGORY_HARASSMENT',
      'HARM_CATEGORY_SEXUALLY_EXPLICIT',
      'HARM_CATEGORY_CIVIC_INTEGRITY',
      'HARM_CATEGORY_IMAGE_HATE',
      'HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT',
      'HARM_CATEGORY_IMAGE_HARASSMENT',
      'HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT',
      'HARM_CATEGORY_JAILBREAK',
    ]),
    threshold: enumOf(`${V}SafetySetting.HarmBlockThreshold`, [
      'HARM_BLOCK_THRESHOLD_UNSPECIFIED',
      'BLOCK_LOW_AND_ABOVE',
      'BLOCK_MEDIUM_AND_ABOVE',
      'BLOCK_ONLY_HIGH',
      'BLOCK_NONE',
      'OFF',
    ]),
    method: enumOf(`${V}SafetySetting.HarmBlockMethod`, ['HARM_BLOCK_METHOD_UNSPECIFIED', 'SEVERITY', 'PROBABILITY']),
  },
};

const thinkingConfig: MessageSpec = {
  name: `${V}GenerationConfig.ThinkingConfig`,
  fields: {
    includeThoughts: bool,
    thinkingBudget: int32,
    thinkingLevel: enumOf(`${V}GenerationConfig.ThinkingConfig.ThinkingLevel`, [
      'THINKING_LEVEL_UNSPECIFIED',
      'LOW',
      'MEDIUM',
      'HIGH',
      'MINIMAL',
    ]),
  },
};

export const generationConfig: MessageSpec = {
  name: `${V}GenerationConfig`,
  fields: {
    temperature: float,
    topP: float,
    topK: float,
    candidateCount: int32,
    maxOutputTokens: int32,
    stopSequences: strings,
    responseLogprobs: bool,
    logprobs: int32,
    presencePenalty: float,
    frequencyPenalty: float,
    seed: int32,
    responseMimeType: str,
    responseSchema: msg(() => schema),
    responseJsonSchema: value,
    routingConfig: loose('GenerationConfig.RoutingConfig'),
    modelSelectionConfig: loose('GenerationConfig.ModelSelectionConfig'),
    responseModalities: many(enumOf(`${V}GenerationConfig.Modality`, ['MODALITY_UNSPECIFIED', 'TEXT', 'IMAGE', 'AUDIO'])),
    mediaResolution: enumOf(`${V}GenerationConfig.MediaResolution`, [
      'MEDIA_RESOLUTION_UNSPECIFIED',
      'MEDIA_RESOLUTION_LOW',
      'MEDIA_RESOLUTION_MEDIUM',
      'MEDIA_RESOLUTION_HIGH',
    ]),
    speechConfig: loose('SpeechConfig'),
    audioTimestamp: bool,
    thinkingConfig: msg(() => thinkingConfig),
    imageConfig: loose('ImageConfig'),
    enableAffectiveDialog: bool,
  },
};

/** The inner `request` of a Code Assist generate call. */
export const generateContentRequest: MessageSpec = {
  name: `${V}GenerateContentRequest`,
  fields: {
    contents: many(msg(() => content)),
    systemInstruction: msg(() => content),
    cachedContent: str,
    tools: many(msg(() => tool)),
    toolConfig: msg(() => toolConfig),
    labels: { type: { kind: 'string' }, map: true },
    safetySettings: many(msg(() => safetySetting)),
    generationConfig: msg(() => generationConfig),
    sessionId: str,
  },
};

/** The Code Assist envelope around it (gemini-cli converter.ts toGenerateContentRequest). */
export const caGenerateContentRequest: MessageSpec = {
  name: `${CA}GenerateContentRequest`,
  fields: {
    model: str,
    project: str,
    userPromptId: str,
    request: msg(() => generateContentRequest),
    enabledCreditTypes: many(enumOf(`${CA}CreditType`, ['CREDIT_TYPE_UNSPECIFIED', 'GOOGLE_ONE_AI'])),
  },
};

const countTokensInner: MessageSpec = {
  name: `${V}CountTokensRequest`,
  fields: {
    model: str,
    contents: many(msg(() => content)),
    systemInstruction: msg(() => content),
    tools: many(msg(() => tool)),
    generationConfig: msg(() => generationConfig),
  },
};

export const caCountTokensRequest: MessageSpec = {
  name: `${CA}CountTokensRequest`,
  fields: { request: msg(() => countTokensInner) },
};
