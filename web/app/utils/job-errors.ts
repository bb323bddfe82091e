/** A failed job's error in plain words; the api's message when we have no better one. */
const PLAIN: Record<string, string> = {
  source_too_short: 'The text is too short to work with. Paste a longer article: at least a few sentences (25 words or more).',
  fetch_failed: 'We could not download that page. Check the address, or paste the text instead.',
  url_refused: 'That address is not allowed (private or local addresses are refused). Try a public news site, or paste the text.',
  extract_failed: 'We could not find an article on that page. Paste the text instead.',
  no_candidates: 'We found no recent article on that topic. Try a broader topic, or paste a text.',
  llm_error: 'The writing model did not answer properly. Please try again.',
  timeout: 'This took too long and was stopped. Please try again.',
};

export function describeJobError(error: { code: string; message: string }): string {
  return PLAIN[error.code] ?? error.message;
}
