// @vitest-environment jsdom
import { createRemixStub } from '@remix-run/testing';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { installGlobals } from '@remix-run/node';
import { afterEach, describe, expect, it } from 'vitest';
import ArticlesIndex from '../routes/articles._index.tsx';
import { GlossedMarkdown } from './glossed-markdown.tsx';
import { JobProgress } from './job-progress.tsx';

// jsdom brings its own AbortSignal, which Node's Request refuses; Remix's fetch polyfill accepts it.
installGlobals();
afterEach(cleanup);

const gloss = (word: string, definition: string) => ({ word, definition, example: null, partOfSpeech: null });

describe('GlossedMarkdown', () => {
  it('renders markdown with hostile content inert', () => {
    const md = [
      '# Title <script>alert(1)</script>',
      '',
      '<img src=x onerror="alert(2)"> and <a href="javascript:alert(3)">raw</a>',
      '',
      '[md link](javascript:alert(4)) [ok](https://example.com) ![pic](javascript:alert(5))',
      '',
      '<svg onload="alert(6)"></svg> <iframe src="https://evil.test"></iframe>',
    ].join('\n');
    const { container } = render(<GlossedMarkdown markdown={md} glosses={[]} />);
    expect(container.querySelector('script, iframe, svg, img')).toBeNull();
    for (const el of container.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) expect(attr.startsWith('on')).toBe(false);
      const href = el.getAttribute('href') ?? '';
      expect(href.toLowerCase()).not.toContain('javascript:');
    }
    expect(container.querySelector('a[href="https://example.com"]')?.getAttribute('rel')).toContain('noopener');
    expect([...container.querySelectorAll('a')].map((a) => a.textContent)).toEqual(['ok']); // "md link" is plain text now
    expect(container.textContent).toContain('Title');
  });

  it('glosses the first occurrence of each word, reachable by keyboard and toggled by tap', () => {
    const { container } = render(
      <GlossedMarkdown
        markdown={'The **climate** summit met. Climate change and the summit again.\n\n`climate` in code.'}
        glosses={[gloss('climate', 'the usual weather of a place'), gloss('summit', 'a meeting of leaders')]}
      />,
    );
    const buttons = screen.getAllByRole('button');
    expect(buttons.map((b) => b.textContent)).toEqual(['climate', 'summit']);
    const button = buttons[0]!;
    const tip = document.getElementById(button.getAttribute('aria-describedby')!);
    expect(tip?.textContent).toContain('the usual weather of a place');
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    fireEvent.keyDown(button, { key: 'Escape' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(container.querySelector('code')?.textContent).toBe('climate');
  });

  it('shows the reading body: no duplicate title, no attribution block, headings not glossed', () => {
    const md = '# The title\n\nBody about a summit.\n\n## Vocabulary\n\n- **summit**: a meeting\n\n---\n\nSource: [x](https://example.com).\n\n> a note\n';
    const { container } = render(<GlossedMarkdown markdown={md} glosses={[gloss('summit', 'a meeting')]} readingBody />);
    expect(container.querySelector('h1')).toBeNull();
    expect(container.querySelector('h2')?.textContent).toBe('Vocabulary');
    expect(container.textContent).not.toContain('Source:');
    expect(container.querySelector('blockquote')).toBeNull();
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['summit']);
    expect(container.querySelector('p .gloss-term')).not.toBeNull();
  });

  it('matches Korean words followed by particles', () => {
    render(<GlossedMarkdown markdown={'기후는 변하고 있다.'} glosses={[gloss('기후', 'climate')]} language="ko" />);
    expect(screen.getByRole('button', { name: '기후' })).toBeTruthy();
  });
});

describe('JobProgress', () => {
  it('names the progress for screen readers and marks the stages', () => {
    render(<JobProgress status="running" progress={40} stage="adapt" />);
    const bar = screen.getByRole('progressbar', { name: 'Progress of your text' });
    expect(bar.getAttribute('aria-valuenow')).toBe('40');
    expect(bar.getAttribute('aria-valuetext')).toBe('Rewriting for your level, 40%');
    expect(document.querySelector('[aria-current="step"]')?.textContent).toContain('Rewriting for your level');
    expect(document.querySelectorAll('.stage-done')).toHaveLength(2);
  });
});

describe('/articles page', () => {
  const emptyList = { list: { items: [], nextCursor: null }, query: {}, deleted: false };

  it('welcomes a first visit and offers every language and level', async () => {
    const Stub = createRemixStub([{ path: '/articles', Component: ArticlesIndex, loader: () => emptyList }]);
    render(<Stub initialEntries={['/articles']} />);
    await screen.findByRole('heading', { name: 'Welcome to OPAD' });
    const language = screen.getByLabelText('Language to read in') as HTMLSelectElement;
    expect([...language.options].map((o) => o.value)).toEqual(['en', 'de', 'es', 'fr', 'ko']);
    expect(screen.getAllByRole('radio', { name: /^(A1|A2|B1|B2|C1|C2)/ })).toHaveLength(6);
    expect(screen.getByText(/Beginner: everyday words/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Generate' })).toBeTruthy();
  });

  it('shows field errors beside the field with the input kept', async () => {
    const Stub = createRemixStub([
      {
        path: '/articles',
        Component: ArticlesIndex,
        loader: () => emptyList,
        action: () => ({ errors: { sourceUrl: ['Enter the full address'] }, values: { sourceKind: 'url', sourceUrl: 'nope', sourceText: '', sourceTitle: '', topic: '', language: 'de', level: 'C1', targetWords: '300' } }),
      },
    ]);
    render(<Stub initialEntries={['/articles']} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Generate' }));
    await waitFor(() => expect(screen.getByText('Enter the full address')).toBeTruthy());
    const url = screen.getByLabelText('Article address') as HTMLInputElement;
    expect(url.value).toBe('nope');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-describedby')).toBe('sourceUrl-error');
    expect((screen.getByLabelText('Language to read in') as HTMLSelectElement).value).toBe('de');
    expect(document.activeElement).toBe(url);
  });
});
