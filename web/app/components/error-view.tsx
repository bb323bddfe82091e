import { Link, isRouteErrorResponse, useLocation } from '@remix-run/react';

interface ErrorData {
  kind?: string;
  title?: string;
  message?: string;
}

/**
 * What every route's error boundary shows: plain words and a way on (retry, or back to the
 * list). Never a stack trace: unexpected errors get a generic message.
 */
export function ErrorView({ error }: { error: unknown }) {
  const location = useLocation();
  const retryHref = `${location.pathname}${location.search}`;
  let title = 'Something went wrong';
  let message = 'An unexpected error happened on our side. Please try again.';
  let status: number | undefined;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const data = (typeof error.data === 'object' && error.data ? error.data : {}) as ErrorData;
    if (data.title) title = data.title;
    else if (error.status === 404) title = 'Not found';
    if (data.message) message = data.message;
    else if (error.status === 404) message = 'There is nothing at this address.';
  }
  return (
    <section className="error-view" role="alert" aria-labelledby="error-title">
      <h1 id="error-title">{title}</h1>
      <p>{message}</p>
      <p className="actions">
        {status !== 404 ? (
          <a className="button" href={retryHref}>
            Try again
          </a>
        ) : null}
        <Link className="button secondary" to="/articles" reloadDocument>
          Go to your articles
        </Link>
      </p>
      {status ? <p className="muted small">Error {status}</p> : null}
    </section>
  );
}
