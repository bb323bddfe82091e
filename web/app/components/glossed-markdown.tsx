import { useId, useState, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';
import type { Gloss } from '@opad/core/http-contract';

/**
 * The adapted article: markdown from a model, written from a web page, so it is untrusted.
 * It is rendered by react-markdown (raw HTML is never parsed) and sanitized by
 * rehype-sanitize (GitHub's allow-list: no scripts, no on* attributes, only http(s)/mailto
 * links). Glosses are added after sanitizing, by our own plugin, as plain text spans.
 */

type HastNode = {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
};

const SKIP = new Set(['a', 'code', 'pre', 'script', 'style', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds each glossed word (first occurrence only) in the text and wraps it in a marker span. */
export function rehypeGlosses(options: { glosses: readonly Gloss[]; language?: string }) {
  const words = options.glosses.map((g) => g.word.trim()).filter((w) => w.length > 0);
  return () => (tree: HastNode) => {
    if (words.length === 0) return;
    // Longest first, so "climate change" wins over "climate". Korean attaches particles to
    // words, so there only the start of the word must be a boundary.
    const order = words.map((w, i) => ({ w, i })).sort((a, b) => b.w.length - a.w.length);
    const after = options.language === 'ko' ? '' : '(?![\\p{L}\\p{N}])';
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${order.map((o) => escapeRegExp(o.w)).join('|')})${after}`, 'giu');
    const seen = new Set<number>();
    const indexOf = (match: string) => {
      const lower = match.toLocaleLowerCase();
      return words.findIndex((w) => w.toLocaleLowerCase() === lower);
    };
    const visit = (node: HastNode) => {
      if (!node.children) return;
      const next: HastNode[] = [];
      for (const child of node.children) {
        if (child.type === 'element') {
          if (!SKIP.has(child.tagName ?? '')) visit(child);
          next.push(child);
          continue;
        }
        if (child.type !== 'text' || !child.value) {
          next.push(child);
          continue;
        }
        const text = child.value;
        let last = 0;
        pattern.lastIndex = 0;
        for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
          const index = indexOf(m[0]);
          if (index < 0 || seen.has(index)) continue;
          seen.add(index);
          if (m.index > last) next.push({ type: 'text', value: text.slice(last, m.index) });
          next.push({
            type: 'element',
            tagName: 'span',
            properties: { dataGloss: String(index) },
            children: [{ type: 'text', value: m[0] }],
          });
          last = m.index + m[0].length;
        }
        if (last === 0) next.push(child);
        else if (last < text.length) next.push({ type: 'text', value: text.slice(last) });
      }
      node.children = next;
    };
    visit(tree);
  };
}

type MdNode = { type: string; depth?: number; children?: MdNode[] };

/**
 * The stored text is a whole document (worker/src/markdown.ts): `# title`, body, vocabulary,
 * then `---` and the attribution/notes. The page shows the title as its own h1 and the
 * attribution, model and notes in "About this text", so the reading view drops the leading
 * h1 and what follows the last thematic break.
 */
export function remarkReadingBody() {
  return (tree: MdNode) => {
    const children = tree.children ?? [];
    if (children[0]?.type === 'heading' && children[0].depth === 1) children.shift();
    const lastBreak = children.map((c) => c.type).lastIndexOf('thematicBreak');
    if (lastBreak > 0) children.splice(lastBreak);
    tree.children = children;
  };
}

/** A glossed word: a button (reachable by keyboard, tap toggles) with its definition as a tooltip. */
export function GlossTerm({ gloss, children }: { gloss: Gloss; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <span className={`gloss${open ? ' open' : ''}`}>
      <button
        type="button"
        className="gloss-term"
        aria-expanded={open}
        aria-describedby={id}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
        onBlur={() => setOpen(false)}
      >
        {children}
      </button>
      <span role="tooltip" id={id} className="gloss-tip">
        <strong>{gloss.word}</strong>
        {gloss.partOfSpeech ? <em> ({gloss.partOfSpeech})</em> : null}: {gloss.definition}
        {gloss.example ? <span className="gloss-example"> “{gloss.example}”</span> : null}
      </span>
    </span>
  );
}

const sanitizeSchema = {
  ...defaultSchema,
  // Only web links; no javascript:, data: or vbscript: anywhere.
  protocols: { ...defaultSchema.protocols, href: ['http', 'https', 'mailto'], src: ['http', 'https'] },
};

export function GlossedMarkdown({
  markdown,
  glosses,
  language,
  readingBody = false,
}: {
  markdown: string;
  glosses: readonly Gloss[];
  language?: string;
  readingBody?: boolean;
}) {
  const components: Components = {
    span: ({ node: _node, children, ...props }) => {
      const key = (props as Record<string, unknown>)['data-gloss'];
      const gloss = typeof key === 'string' ? glosses[Number(key)] : undefined;
      if (gloss) return <GlossTerm gloss={gloss}>{children}</GlossTerm>;
      return <span {...props}>{children}</span>;
    },
    // A link whose address was dropped (javascript:, data: …) is shown as plain text.
    a: ({ node: _node, children, href, ...props }) =>
      href && /^(https?:|mailto:)/i.test(href) ? (
        <a {...props} href={href} rel="noopener noreferrer nofollow" target="_blank">
          {children}
        </a>
      ) : (
        <span>{children}</span>
      ),
    img: ({ node: _node, alt }) => (alt ? <span className="muted">[{alt}]</span> : null),
  };
  return (
    <div className="prose">
      <ReactMarkdown
        remarkPlugins={readingBody ? [remarkGfm, remarkReadingBody] : [remarkGfm]}
        rehypePlugins={[[rehypeSanitize, sanitizeSchema], rehypeGlosses({ glosses, language })]}
        components={components}
        skipHtml
      >
        {markdown}
      </ReactMarkdown>
    </div>
  );
}
