/**
 * Whether a Bedrock model id names an Anthropic model: a foundation model id
 * (`anthropic.claude-sonnet-4-5-20250929-v1:0`), a cross-region inference profile
 * (`us.anthropic.claude-...`, `global.anthropic.claude-...`), or an ARN of either. An
 * application inference profile's ARN does not say: it goes through Converse.
 */
export function isAnthropicModel(modelId: string): boolean {
  const resource = modelId.startsWith("arn:") ? (modelId.split("/").at(-1) ?? "") : modelId;
  return /^(?:[a-z]{2,6}\.)?anthropic\./.test(resource);
}

/** The model id as a URL path segment (ARNs hold ':' and '/'). */
export function modelPath(modelId: string): string {
  return encodeURIComponent(modelId);
}
