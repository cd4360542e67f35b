/**
 * Request messages of the project-discovery methods (loadCodeAssist, onboardUser, retrieveUserQuota), from
 * gemini-cli code_assist/types.ts; enum values as listed in
 * docs/google-protocols.md#loadcodeassist.
 */
import type { FieldSpec, MessageSpec } from './proto-json.js';

const CA = 'google.internal.cloud.code.v1internal.';
const str: FieldSpec = { type: { kind: 'string' } };

function enumOf(name: string, values: readonly string[]): FieldSpec {
  return { type: { kind: 'enum', name, values } };
}
function msg(spec: () => MessageSpec): FieldSpec {
  return { type: { kind: 'message', spec } };
}

const clientMetadata: MessageSpec = {
  name: `${CA}ClientMetadata`,
  fields: {
    ideType: enumOf(`${CA}ClientMetadata.IdeType`, [
      'IDE_UNSPECIFIED',
      'VSCODE',
      'INTELLIJ',
      'VSCODE_CLOUD_WORKSTATION',
      'INTELLIJ_CLOUD_WORKSTATION',
      'CLOUD_SHELL',
      'GEMINI_CLI',
    ]),
    ideVersion: str,
    pluginVersion: str,
    platform: enumOf(`${CA}ClientMetadata.Platform`, [
      'PLATFORM_UNSPECIFIED',
      'DARWIN_AMD64',
      'DARWIN_ARM64',
      'LINUX_AMD64',
      'LINUX_ARM64',
      'WINDOWS_AMD64',
    ]),
    updateChannel: str,
    duetProject: str,
    pluginType: enumOf(`${CA}ClientMetadata.PluginType`, [
      'PLUGIN_UNSPECIFIED',
      'CLOUD_CODE',
      'GEMINI',
      'AIPLUGIN_INTELLIJ',
      'AIPLUGIN_STUDIO',
    ]),
    ideName: str,
  },
};

export const loadCodeAssistRequest: MessageSpec = {
  name: `${CA}LoadCodeAssistRequest`,
  fields: {
    cloudaicompanionProject: str,
    metadata: msg(() => clientMetadata),
    mode: enumOf(`${CA}LoadCodeAssistRequest.Mode`, ['MODE_UNSPECIFIED', 'FULL_ELIGIBILITY_CHECK', 'HEALTH_CHECK']),
  },
};

export const onboardUserRequest: MessageSpec = {
  name: `${CA}OnboardUserRequest`,
  fields: { tierId: str, cloudaicompanionProject: str, metadata: msg(() => clientMetadata) },
};

export const retrieveUserQuotaRequest: MessageSpec = {
  name: `${CA}RetrieveUserQuotaRequest`,
  fields: { project: str, userAgent: str },
};
