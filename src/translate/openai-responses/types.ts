/**
 * The OpenAI Responses shapes Rotor emits. Own small types (not the SDK's), so the translators carry no runtime
 * dependency and only the fields Rotor really writes are promised.
 */

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface UrlCitation {
  type: 'url_citation';
  start_index: number;
  end_index: number;
  url: string;
  title: string;
}

export interface OutputTextPart {
  type: 'output_text';
  text: string;
  annotations: UrlCitation[];
  logprobs: unknown[];
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

export interface MessageItem {
  id: string;
  type: 'message';
  status: ItemStatus;
  role: 'assistant';
  content: Array<OutputTextPart | RefusalPart>;
}

export interface SummaryText {
  type: 'summary_text';
  text: string;
}

export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  status?: ItemStatus;
  summary: SummaryText[];
  /** Rotor's envelope of Gemini's thought signatures (signatures.ts); only with `include: ["reasoning.encrypted_content"]`. */
  encrypted_content?: string;
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}

export interface CustomToolCallItem {
  id: string;
  type: 'custom_tool_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  input: string;
}

export interface WebSearchCallItem {
  id: string;
  type: 'web_search_call';
  status: 'in_progress' | 'completed';
  action: { type: 'search'; query: string; queries?: string[]; sources?: Array<{ type: 'url'; url: string }> };
}

export type OutputItem = MessageItem | ReasoningItem | FunctionCallItem | CustomToolCallItem | WebSearchCallItem;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  /** Includes reasoning tokens, as OpenAI counts them. */
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseError {
  code: string;
  message: string;
}

/** What a response echoes from its request (OpenAI returns the settings it ran with). */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: unknown };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: 'disabled';
  user: string | null;
}

export interface ResponseObject extends ResponseEcho {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: false;
  completed_at?: number;
  error: ResponseError | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  usage: ResponsesUsage;
}
