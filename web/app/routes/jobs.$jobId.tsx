import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate, useNavigation, useRevalidator, useRouteError } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { uuidSchema, type JobEvent } from '@opad/core/http-contract';
import { ErrorView } from '../components/error-view.tsx';
import { JobProgress } from '../components/job-progress.tsx';
import { api, throwRouteError } from '../utils/api.server.ts';
import { describeJobError } from '../utils/job-errors.ts';

export const meta: MetaFunction = () => [{ title: 'Writing your text · OPAD' }];

const POLL_MS = 1_000;

function guardJobId(id: string | undefined): string {
  const parsed = uuidSchema.safeParse(id);
  if (!parsed.success) throw json({ kind: 'not_found', title: 'Not found', message: 'This job does not exist.' }, { status: 404 });
  return parsed.data;
}

export async function loader({ params, request }: LoaderFunctionArgs) {
  const jobId = guardJobId(params.jobId);
  try {
    const job = await api(request).getJob(jobId);
    if (job.status === 'succeeded') return redirect(`/articles/${job.articleId}`);
    return json({ job });
  } catch (error) {
    throwRouteError(error, 'job');
  }
}

/** Retry: a new generation for the same article. */
export async function action({ params, request }: ActionFunctionArgs) {
  const jobId = guardJobId(params.jobId);
  const client = api(request);
  try {
    const job = await client.getJob(jobId);
    const { jobId: next } = await client.generate(job.articleId);
    return redirect(`/jobs/${next}`);
  } catch (error) {
    throwRouteError(error, 'job');
  }
}

function isJobEvent(value: unknown): value is JobEvent {
  const v = value as JobEvent | null;
  return !!v && typeof v === 'object' && typeof v.status === 'string' && typeof v.progress === 'number';
}

/**
 * Live progress: Server-Sent Events through this web's own `/jobs/:jobId/events` (the browser
 * never talks to the api). When the stream is cut, the page polls its loader instead; without
 * JavaScript it refreshes itself. On success it moves on to the article.
 */
export default function JobPage() {
  const { job } = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const [live, setLive] = useState<JobEvent | null>(null);
  const [mode, setMode] = useState<'sse' | 'polling'>('sse');

  // The freshest of what the loader and the stream said.
  const current = live && live.jobId === job.id && live.progress >= job.progress ? live : job;
  const terminal = current.status === 'succeeded' || current.status === 'failed';

  useEffect(() => {
    if (job.status === 'failed' || job.status === 'succeeded' || mode !== 'sse') return;
    if (typeof EventSource === 'undefined') {
      setMode('polling');
      return;
    }
    const source = new EventSource(`/jobs/${job.id}/events`);
    const onEvent = (e: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!isJobEvent(data)) return;
      setLive(data);
      if (data.status === 'succeeded') {
        source.close();
        navigate(`/articles/${job.articleId}`, { replace: true });
      } else if (data.status === 'failed') {
        source.close();
        revalidator.revalidate();
      }
    };
    source.addEventListener('progress', onEvent as EventListener);
    source.addEventListener('end', onEvent as EventListener);
    source.onerror = () => {
      // The stream was cut (api restarted, proxy timeout): fall back to polling the loader.
      source.close();
      setMode('polling');
    };
    return () => source.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job.id, mode]);

  useEffect(() => {
    if (mode !== 'polling' || terminal) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [mode, terminal, revalidator]);

  const retrying = navigation.state === 'submitting';

  return (
    <section className="job-page card" aria-labelledby="job-title">
      {!terminal ? (
        <noscript>
          <meta httpEquiv="refresh" content="2" />
        </noscript>
      ) : null}
      <h1 id="job-title">{current.status === 'failed' ? 'This text could not be written' : 'Writing your text'}</h1>
      <JobProgress status={current.status} progress={current.progress} stage={current.stage} />
      {current.status === 'failed' ? (
        <div className="job-failed" role="alert">
          <p>{current.error ? describeJobError(current.error) : 'Something went wrong while writing this text.'}</p>
          <Form method="post" className="actions">
            <button type="submit" className="button primary" disabled={retrying}>
              {retrying ? 'Starting…' : 'Try again'}
            </button>
            <Link to="/articles" className="button secondary">
              Start a new reading
            </Link>
            <Link to={`/articles/${job.articleId}`} className="button secondary">
              See the article
            </Link>
          </Form>
        </div>
      ) : (
        <p className="muted small">
          You can leave this page; the text keeps being written. <Link to="/articles">Back to your articles</Link>
          {mode === 'polling' ? <span className="sr-only"> (checking every second)</span> : null}
        </p>
      )}
    </section>
  );
}

export function ErrorBoundary() {
  return <ErrorView error={useRouteError()} />;
}
