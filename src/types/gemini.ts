/**
 * The Gemini wire types Rotor speaks internally (the `request` inside a Code Assist envelope, or the plain
 * body of the Gemini API / Vertex AI). Types only: shared by translate/, upstream/ and http/.
 * Field names are proto-JSON camelCase; only what Rotor reads or writes is spelled out.
 */

export interface GeminiBlob {
  mimeType: string;
  data: string;
}

export interface GeminiFileData {
  mimeType?: string;
  fileUri: string;
}

export interface GeminiFunctionCall {
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: GeminiBlob;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  executableCode?: { language?: string; code: string };
  codeExecutionResult?: { outcome?: string; output?: string };
}

export type GeminiRole = 'user' | 'model';

export interface GeminiContent {
  role?: GeminiRole;
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  parametersJsonSchema?: unknown;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
  googleSearch?: Record<string, unknown>;
  codeExecution?: Record<string, unknown>;
  urlContext?: Record<string, unknown>;
}

export interface GeminiToolConfig {
  functionCallingConfig?: {
    mode?: 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED' | 'MODE_UNSPECIFIED';
    allowedFunctionNames?: string[];
  };
}

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: string;
  includeThoughts?: boolean;
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  candidateCount?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseLogprobs?: boolean;
  logprobs?: number;
  responseMimeType?: string;
  responseSchema?: unknown;
  responseJsonSchema?: unknown;
  responseModalities?: string[];
  thinkingConfig?: GeminiThinkingConfig;
}

export interface GeminiSafetySetting {
  category: string;
  threshold: string;
}

/** A GenerateContentRequest without the model (the model travels in the URL or the Code Assist envelope). */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  safetySettings?: GeminiSafetySetting[];
  generationConfig?: GeminiGenerationConfig;
  cachedContent?: string;
  labels?: Record<string, string>;
}

export type GeminiFinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | (string & {});

export interface GeminiGroundingMetadata {
  webSearchQueries?: string[];
  groundingChunks?: Array<{
    web?: { uri?: string; title?: string };
    retrievedContext?: { uri?: string; title?: string; text?: string };
  }>;
  groundingSupports?: Array<{
    /** Offsets are UTF-8 byte offsets into the answer text. */
    segment?: { partIndex?: number; startIndex?: number; endIndex?: number; text?: string };
    groundingChunkIndices?: number[];
    confidenceScores?: number[];
  }>;
  searchEntryPoint?: { renderedContent?: string };
}

export interface GeminiCandidate {
  index?: number;
  content?: GeminiContent;
  finishReason?: GeminiFinishReason;
  finishMessage?: string;
  safetyRatings?: unknown[];
  groundingMetadata?: GeminiGroundingMetadata;
  avgLogprobs?: number;
  logprobsResult?: GeminiLogprobsResult;
}

export interface GeminiLogprobsCandidate {
  token?: string;
  tokenId?: number;
  logProbability?: number;
}

/** Token log probabilities (`generationConfig.responseLogprobs`); both lists are aligned by decoding step. */
export interface GeminiLogprobsResult {
  topCandidates?: Array<{ candidates?: GeminiLogprobsCandidate[] }>;
  chosenCandidates?: GeminiLogprobsCandidate[];
  logProbabilitySum?: number;
}

export interface GeminiModalityTokenCount {
  modality?: string;
  tokenCount?: number;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  promptTokensDetails?: GeminiModalityTokenCount[];
  candidatesTokensDetails?: GeminiModalityTokenCount[];
  trafficType?: string;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string; safetyRatings?: unknown[] };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  createTime?: string;
}

export interface GeminiCountTokensResponse {
  totalTokens: number;
  cachedContentTokenCount?: number;
  promptTokensDetails?: GeminiModalityTokenCount[];
}

/** google.rpc.Status as Google sends it, inside `{ "error": ... }`. */
export interface GoogleRpcStatus {
  code: number;
  message: string;
  status: string;
  details?: Array<Record<string, unknown> & { '@type': string }>;
}

/** One item of `:batchEmbedContents` (also the body of `:embedContent`). */
export interface GeminiEmbedContentRequest {
  /** `models/<id>`; in a batch it must name the model of the URL. */
  model?: string;
  content: GeminiContent;
  taskType?: string;
  title?: string;
  outputDimensionality?: number;
}

export interface GeminiBatchEmbedContentsRequest {
  requests: GeminiEmbedContentRequest[];
}

export interface GeminiContentEmbedding {
  values?: number[];
}

export interface GeminiBatchEmbedContentsResponse {
  embeddings?: GeminiContentEmbedding[];
  /** Not sent by every backend; read when present. */
  usageMetadata?: { promptTokenCount?: number; totalTokenCount?: number };
}
