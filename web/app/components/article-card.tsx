import { Link } from '@remix-run/react';
import { isTerminalJobStatus, LANGUAGES, type ArticleStatus } from '@opad/core/domain';
import type { ArticleDto } from '@opad/core/http-contract';

export const STATUS_LABELS: Readonly<Record<ArticleStatus, string>> = {
  draft: 'Draft',
  generating: 'Generating',
  ready: 'Ready',
  failed: 'Failed',
};

/** A date that renders the same on server and client (no time zone or locale surprises). */
export function shortDate(iso: string): string {
  return iso.slice(0, 10);
}

export function articleHeading(article: Pick<ArticleDto, 'title' | 'source'>): string {
  return article.title ?? article.source.title ?? article.source.topic ?? article.source.url ?? article.source.excerpt?.slice(0, 80) ?? 'Untitled';
}

/** Where a card leads: a generating article to its progress page, others to the article. */
export function articleHref(article: Pick<ArticleDto, 'id' | 'status' | 'latestJob'>): string {
  const job = article.latestJob;
  if (article.status === 'generating' && job && !isTerminalJobStatus(job.status)) return `/jobs/${job.id}`;
  return `/articles/${article.id}`;
}

export function ArticleCard({ article }: { article: ArticleDto }) {
  return (
    <li className="article-card">
      <Link to={articleHref(article)} className="article-link">
        <span className="article-title">{articleHeading(article)}</span>
      </Link>
      <span className="badges">
        <span className="badge level">{article.level}</span>
        <span className="badge">{LANGUAGES[article.language]}</span>
        <span className={`badge status status-${article.status}`}>{STATUS_LABELS[article.status]}</span>
        <span className="muted small">
          <time dateTime={article.createdAt}>{shortDate(article.createdAt)}</time> · {article.targetWords} words
        </span>
      </span>
    </li>
  );
}
