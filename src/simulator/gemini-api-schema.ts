/**
 * The request messages of the public Gemini API (google.ai.generativelanguage.v1beta), read as strictly as
 * the Code Assist ones (request-schema.ts), from which the shared parts (Schema, FunctionDeclaration, Blob,
 * ToolConfig, ...) are reused. Where the two APIs differ: FunctionCall / FunctionResponse carry an `id`
 * here; GenerationConfig has no Vertex-only routingConfig / modelSelectionConfig / audioTimestamp; a
 * request may name its `model`; there are no labels or session ids; SafetySetting has no `method`.
 */
import type { FieldSpec, MessageSpec } from './proto-json.js';
import {
  bool,
  enumOf,
  functionDeclaration,
  generationConfig as vertexGenerationConfig,
  int32,
  many,
  msg,
  part as vertexPart,
  safetySetting as vertexSafetySetting,
  str,
  struct,
  toolConfig,
} from './request-schema.js';

const G = 'google.ai.generativelanguage.v1beta.';

function loose(name: string): FieldSpec {
  return { type: { kind: 'loose', name: `${G}${name}` } };
}

const functionCall: MessageSpec = { name: `${G}FunctionCall`, fields: { id: str, name: str, args: struct } };
const functionResponse: MessageSpec = {
  name: `${G}FunctionResponse`,
  fields: {
    id: str,
    name: str,
    response: struct,
    willContinue: bool,
    scheduling: enumOf(`${G}FunctionResponse.Scheduling`, ['SCHEDULING_UNSPECIFIED', 'SILENT', 'WHEN_IDLE', 'INTERRUPT']),
  },
};

const part: MessageSpec = {
  name: `${G}Part`,
  fields: {
    ...vertexPart.fields,
    functionCall: msg(() => functionCall),
    functionResponse: msg(() => functionResponse),
    partMetadata: struct,
  },
};

export const content: MessageSpec = { name: `${G}Content`, fields: { role: str, parts: many(msg(() => part)) } };

const tool: MessageSpec = {
  name: `${G}Tool`,
  fields: {
    functionDeclarations: many(msg(() => functionDeclaration)),
    googleSearchRetrieval: loose('GoogleSearchRetrieval'),
    codeExecution: loose('CodeExecution'),
    googleSearch: loose('Tool.GoogleSearch'),
    urlContext: loose('UrlContext'),
    computerUse: loose('Tool.ComputerUse'),
    fileSearch: loose('FileSearch'),
    googleMaps: loose('GoogleMaps'),
  },
};

const { routingConfig: _r, modelSelectionConfig: _m, audioTimestamp: _a, ...sharedGenerationFields } = vertexGenerationConfig.fields;
const generationConfig: MessageSpec = {
  name: `${G}GenerationConfig`,
  fields: { ...sharedGenerationFields, enableEnhancedCivicAnswers: bool },
};

const safetySetting: MessageSpec = {
  name: `${G}SafetySetting`,
  fields: {
    category: enumOf(`${G}HarmCategory`, [
      'HARM_CATEGORY_UNSPECIFIED',
      'HARM_CATEGORY_DEROGATORY',
      'HARM_CATEGORY_TOXICITY',
      'HARM_CATEGORY_VIOLENCE',
      'HARM_CATEGORY_SEXUAL',
      'HARM_CATEGORY_MEDICAL',
      'HARM_CATEGORY_DANGEROUS',
      'HARM_CATEGORY_HARASSMENT',
      'HARM_CATEGORY_HATE_SPEECH',
      'HARM_CATEGORY_SEXUALLY_EXPLICIT',
      'HARM_CATEGORY_DANGEROUS_CONTENT',
      'HARM_CATEGORY_CIVIC_INTEGRITY',
    ]),
    threshold: vertexSafetySetting.fields['threshold'] as FieldSpec,
  },
};

export const geminiGenerateContentRequest: MessageSpec = {
  name: `${G}GenerateContentRequest`,
  fields: {
    model: str,
    contents: many(msg(() => content)),
    systemInstruction: msg(() => content),
    tools: many(msg(() => tool)),
    toolConfig: msg(() => toolConfig),
    safetySettings: many(msg(() => safetySetting)),
    generationConfig: msg(() => generationConfig),
    cachedContent: str,
  },
};

export const geminiCountTokensRequest: MessageSpec = {
  name: `${G}CountTokensRequest`,
  fields: { model: str, contents: many(msg(() => content)), generateContentRequest: msg(() => geminiGenerateContentRequest) },
};

/** google.ai.generativelanguage.v1beta.TaskType, in full. */
export const TASK_TYPES = [
  'TASK_TYPE_UNSPECIFIED',
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
] as const;

export const embedContentRequest: MessageSpec = {
  name: `${G}EmbedContentRequest`,
  fields: {
    model: str,
    content: msg(() => content),
    taskType: enumOf(`${G}TaskType`, TASK_TYPES),
    title: str,
    outputDimensionality: int32,
  },
};

export const batchEmbedContentsRequest: MessageSpec = {
  name: `${G}BatchEmbedContentsRequest`,
  fields: { requests: many(msg(() => embedContentRequest)) },
};
